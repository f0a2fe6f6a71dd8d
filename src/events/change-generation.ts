import { type Kysely, type Migration, PostgresAdapter, sql } from 'kysely';
import type { Logger } from 'pino';
import type { ChangeBus, ChangeListener } from './change-bus.ts';

/** One counter per topic, bumped by database triggers in the transaction of every change. */
export interface ChangeGenerationTable {
  topic: string;
  generation: number;
}

export interface ChangeGenerationTables {
  change_generations: ChangeGenerationTable;
}

/** Tables whose listed columns, when updated (or whose rows, when deleted), are a credential change. */
export type WatchedColumns = Readonly<Record<string, readonly string[]>>;

/**
 * Creates `change_generations` and the triggers that bump its `credentials` row whenever a watched
 * column changes. Triggers rather than application code, so every writer is covered: the admin API
 * of any instance, the CLI on the same file, an operator's SQL. Inserts are not watched: a new row
 * cannot be what a cache already holds (an unknown secret is a random 256-bit value).
 */
export function changeGenerationMigration(watched: WatchedColumns): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('change_generations')
        .addColumn('topic', 'text', (c) => c.primaryKey())
        .addColumn('generation', 'bigint', (c) => c.notNull())
        .execute();
      await sql`insert into change_generations (topic, generation) values ('credentials', 0)`.execute(db);
      const postgres = db.getExecutor().adapter instanceof PostgresAdapter;
      const bump = `update change_generations set generation = generation + 1 where topic = 'credentials'`;
      if (postgres)
        await sql
          .raw(
            `create function gatehouse_credentials_changed() returns trigger language plpgsql as $$ begin ${bump}; return null; end $$`,
          )
          .execute(db);
      for (const [table, columns] of Object.entries(watched)) {
        const of = columns.join(', ');
        if (postgres) {
          await sql
            .raw(
              `create trigger ${table}_changed after update of ${of} or delete on ${table} for each statement execute function gatehouse_credentials_changed()`,
            )
            .execute(db);
        } else {
          await sql
            .raw(`create trigger ${table}_updated after update of ${of} on ${table} begin ${bump}; end`)
            .execute(db);
          await sql
            .raw(`create trigger ${table}_deleted after delete on ${table} begin ${bump}; end`)
            .execute(db);
        }
      }
    },
  };
}

/** How often each process reads the generation: other instances' changes apply within this (plus a read). */
export const CHANGE_POLL_INTERVAL_MS = 250;

/**
 * Wraps a bus so that its `credentials` listeners also hear of changes committed by anyone else on
 * the same database (another instance without Redis, the CLI, a lost Redis message): every
 * `intervalMs` it reads one counter and, when it moved, tells this thread's listeners. Announcing
 * the change further is not needed: every thread of every instance reads the counter itself.
 */
export async function withChangeGenerations(
  // biome-ignore lint/suspicious/noExplicitAny: reads only its own table
  db: Kysely<any>,
  inner: ChangeBus,
  options: { logger: Logger; intervalMs?: number },
): Promise<ChangeBus> {
  const read = async (): Promise<string> => {
    const row = await (db as Kysely<ChangeGenerationTables>)
      .selectFrom('change_generations')
      .select('generation')
      .where('topic', '=', 'credentials')
      .executeTakeFirst();
    return String(row?.generation ?? 0);
  };
  let seen = await read();
  const listeners = new Set<ChangeListener>();
  let polling: Promise<void> | null = null;
  let failing = false;
  const poll = async () => {
    try {
      const now = await read();
      failing = false;
      if (now === seen) return;
      seen = now;
      for (const listener of listeners) listener('credentials');
    } catch (error) {
      if (!failing) options.logger.warn({ err: error }, 'could not read the credential change generation');
      failing = true;
    } finally {
      polling = null;
    }
  };
  const timer = setInterval(() => {
    polling ??= poll();
  }, options.intervalMs ?? CHANGE_POLL_INTERVAL_MS).unref();
  return {
    publish: (topic) => inner.publish(topic),
    subscribe(listener) {
      listeners.add(listener);
      const unsubscribe = inner.subscribe(listener);
      return () => {
        listeners.delete(listener);
        unsubscribe();
      };
    },
    async close() {
      clearInterval(timer);
      await polling;
      listeners.clear();
      await inner.close();
    },
  };
}
