/**
 * The whole database as Kysely sees it. Empty here: each concept declares its own tables, and the
 * composition root (`server/schema.ts`) merges them into this interface, so `db/` names no feature.
 */
// biome-ignore lint/suspicious/noEmptyInterface: filled by declaration merging in server/schema.ts
export interface Schema {}
