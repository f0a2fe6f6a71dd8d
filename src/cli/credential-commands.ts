import type { Command } from 'commander';
import type { Page } from '../http/pagination.ts';
import { print, record, runWithClient, table } from './output.ts';

/** A query filter of a list command: `--<flag> <value>` sent as `param`. */
export interface ListFilter {
  /** The option as commander spells it, e.g. `--integrator <id>`. */
  readonly flag: string;
  readonly help: string;
  readonly param: string;
}

/** The integrator and environment filters every credential list has. */
export const INTEGRATOR_FILTER = (what: string): ListFilter => ({
  flag: '--integrator <id>',
  help: `only this integrator’s ${what}`,
  param: 'integrator_id',
});
export const ENVIRONMENT_FILTER: ListFilter = {
  flag: '--environment <env>',
  help: 'production or sandbox',
  param: 'environment',
};

/** `list`: one page of a collection, newest first, as a table (or JSON). */
export function addListCommand(
  parent: Command,
  spec: {
    readonly description: string;
    readonly path: string;
    readonly columns: readonly string[];
    readonly filters: readonly ListFilter[];
    /** A page size option with this default, or a fixed page size (no option). */
    readonly limit: { readonly option: string } | { readonly fixed: string };
    readonly isDefault?: boolean;
  },
): void {
  const command = parent
    .command('list', spec.isDefault ? { isDefault: true } : {})
    .description(spec.description);
  for (const filter of spec.filters) command.option(filter.flag, filter.help);
  if ('option' in spec.limit) command.option('--limit <n>', 'page size', spec.limit.option);
  command.option('--json', 'print JSON').action((options) =>
    runWithClient(async (client) => {
      const query = new URLSearchParams({ limit: 'fixed' in spec.limit ? spec.limit.fixed : options.limit });
      for (const filter of spec.filters) {
        const value = options[optionName(filter.flag)];
        if (value) query.set(filter.param, value);
      }
      const page = await client.call<Page<unknown>>('GET', `${spec.path}?${query}`);
      print(page, options, () => table(page.data as Record<string, unknown>[], spec.columns));
    }),
  );
}

/** `show <id>`: one resource as `field: value` lines (or JSON). */
export function addShowCommand<T>(
  parent: Command,
  spec: { readonly description: string; readonly path: string; readonly summary: (item: T) => object },
): void {
  parent
    .command('show <id>')
    .description(spec.description)
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const item = await client.call<T>('GET', `${spec.path}/${encodeURIComponent(id)}`);
        print(item, options, () => record({ ...spec.summary(item) }));
      }),
    );
}

/** `<rotate> <id>`: a new secret with `--overlap`, printed once by `text`. */
export function addRotateCommand<T>(
  parent: Command,
  spec: {
    /** The command with its argument, e.g. `rotate <id>`. */
    readonly command: string;
    readonly description: string;
    readonly overlapHelp: string;
    /** The path of the rotation of `id`. */
    readonly path: (id: string) => string;
    readonly text: (issued: T) => string;
  },
): void {
  parent
    .command(spec.command)
    .description(spec.description)
    .option('--overlap <seconds>', spec.overlapHelp, '86400')
    .option('--json', 'print JSON')
    .action((id: string, options) =>
      runWithClient(async (client) => {
        const issued = await client.call<T>('POST', spec.path(encodeURIComponent(id)), {
          overlap_seconds: Number(options.overlap),
        });
        print(issued, options, () => spec.text(issued));
      }),
    );
}

/** `revoke <id>`: ends a credential's use at once; with `withReason`, a `--reason` for the audit trail. */
export function addRevokeCommand<T>(
  parent: Command,
  spec: {
    readonly description: string;
    readonly path: string;
    readonly withReason: boolean;
    readonly summary: (item: T) => object;
  },
): void {
  const command = parent.command('revoke <id>').description(spec.description);
  if (spec.withReason) command.option('--reason <text>', 'why, for the audit trail');
  command.option('--json', 'print JSON').action((id: string, options) =>
    runWithClient(async (client) => {
      const revoked = await client.call<T>(
        'POST',
        `${spec.path}/${encodeURIComponent(id)}/revoke`,
        options.reason ? { reason: options.reason } : {},
      );
      print(revoked, options, () => record({ ...spec.summary(revoked) }));
    }),
  );
}

/** How a credential's live secrets read in a summary: hint and end. */
export function secretLines(
  secrets: readonly { hint: string; expires_at: string | null }[],
  open: string,
): string[] {
  return secrets.map((s) => `${s.hint} (until ${s.expires_at ?? open})`);
}

/** `--allow-ip <cidr>` → `allowIp`, as commander names the option's value. */
function optionName(flag: string): string {
  const name = (flag.split(' ')[0] as string).replace(/^--/, '');
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}
