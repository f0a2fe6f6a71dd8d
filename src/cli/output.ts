import { AdminApiError, type AdminClient, createAdminClient } from './admin-client.ts';
import { formatRecord, formatTable } from './table.ts';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a result as JSON for scripts or as text for people. */
export function print(value: unknown, options: OutputOptions, human: () => string): void {
  process.stdout.write(`${options.json ? JSON.stringify(value, null, 2) : human()}\n`);
}

export const table = formatTable;
export const record = formatRecord;

/** Runs a command body and turns failures into one readable line (then one per bad field) and a non-zero exit. */
export async function run(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof AdminApiError) {
      const fields = error.errors.map((entry) => `  ${entry.field}: ${entry.message}\n`).join('');
      process.stderr.write(
        `error: ${error.message} (${error.code}, HTTP ${error.status}${error.requestId ? `, request ${error.requestId}` : ''})\n${fields}`,
      );
    } else if (
      error instanceof Error &&
      'code' in error &&
      typeof error.code === 'string' &&
      error.code.startsWith('E')
    ) {
      process.stderr.write(`error: cannot reach the admin API (${error.code}); is Gatehouse running?\n`);
    } else {
      process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 1;
  }
}

/** `1 delivery`, `2 deliveries`. */
export function countOf(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Collects a repeatable option into an array. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

/** `run` with an admin API client that is closed afterwards. */
export function runWithClient(body: (client: AdminClient) => Promise<void>): Promise<void> {
  return run(async () => {
    const client = createAdminClient(process.env);
    try {
      await body(client);
    } finally {
      await client.close();
    }
  });
}
