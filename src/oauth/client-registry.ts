import type { Kysely } from 'kysely';
import { digestsEqual } from '../crypto/constant-time.ts';
import { parseCredential } from '../crypto/key-format.ts';
import type { KeyedHasher } from '../crypto/keyed-hash.ts';
import { createLastUseRecorder } from '../db/last-use-recorder.ts';
import type { Schema } from '../db/schema.ts';
import { isUuid } from '../db/uuid7.ts';
import type { Environment } from '../environments/environment.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { CredentialCache, type CredentialCacheLimits } from '../keys/credential-cache.ts';
import { createIpAllowlist, type IpAllowlist } from '../net/ip-allowlist.ts';
import type { RateLimit } from '../rate-limit/rate-limiter.ts';
import { CLIENT_SECRET_MARKER } from './oauth-client.ts';

/** What the token endpoint and the gateway need to know about a client; nothing secret but hashes. */
export interface ClientRecord {
  readonly id: string;
  readonly integratorId: string;
  readonly environment: Environment;
  readonly scopes: readonly string[];
  readonly tokenTtlSeconds: number;
  readonly rateLimit: RateLimit | null;
  readonly allowlist: IpAllowlist;
  readonly revoked: boolean;
  readonly integratorActive: boolean;
  readonly secrets: readonly {
    readonly id: string;
    readonly digest: Buffer;
    readonly expiresAt: number | null;
  }[];
}

export type ClientAuthentication =
  | { readonly ok: true; readonly client: ClientRecord; readonly secretId: string }
  | {
      readonly ok: false;
      readonly reason: 'unknown_client' | 'wrong_secret' | 'revoked' | 'integrator_disabled';
      readonly client?: ClientRecord;
    };

/**
 * Looks clients up by `client_id` (cached until a change is announced or the TTL passes) and checks
 * their secrets: a keyed hash compared in constant time with every secret still in its window.
 */
export class ClientRegistry {
  readonly #db: Kysely<Schema>;
  readonly #hasher: KeyedHasher;
  readonly #keyPrefix: string;
  readonly #cache: CredentialCache<ClientRecord>;

  constructor(deps: {
    db: Kysely<Schema>;
    hasher: KeyedHasher;
    keyPrefix: string;
    changes: ChangeBus;
    cache?: Partial<CredentialCacheLimits>;
  }) {
    this.#db = deps.db;
    this.#hasher = deps.hasher;
    this.#keyPrefix = deps.keyPrefix;
    this.#cache = new CredentialCache(deps.cache);
    deps.changes.subscribe((topic) => {
      if (topic === 'credentials') this.#cache.clear();
    });
  }

  async find(clientId: string, now = Date.now()): Promise<ClientRecord | null> {
    if (!isUuid(clientId)) return null;
    let record = this.#cache.get(clientId, now);
    if (record === undefined) {
      const generation = this.#cache.generation;
      record = await this.#load(clientId);
      this.#cache.set(clientId, record, now, generation);
    }
    return record;
  }

  async authenticate(clientId: string, secret: string, now = Date.now()): Promise<ClientAuthentication> {
    const client = await this.find(clientId, now);
    if (!client) return { ok: false, reason: 'unknown_client' };
    const parsed = parseCredential(secret);
    const wellFormed =
      parsed.ok &&
      parsed.credential.prefix === this.#keyPrefix &&
      parsed.credential.marker === CLIENT_SECRET_MARKER[client.environment];
    const digest = this.#hasher.digest(secret);
    let matched: string | undefined;
    for (const candidate of client.secrets) {
      // Every candidate is compared, matched or not, so timing says nothing about which one matched.
      if (digestsEqual(candidate.digest, digest) && secretLive(candidate, now)) matched = candidate.id;
    }
    if (!wellFormed || matched === undefined) return { ok: false, reason: 'wrong_secret', client };
    if (client.revoked) return { ok: false, reason: 'revoked', client };
    if (!client.integratorActive) return { ok: false, reason: 'integrator_disabled', client };
    return { ok: true, client, secretId: matched };
  }

  /** Records a successful token request as the client's last use, off the request path. */
  readonly touch = createLastUseRecorder((id, now) =>
    this.#db.updateTable('oauth_clients').set({ last_used_at: now }).where('id', '=', id).execute(),
  );

  async #load(clientId: string): Promise<ClientRecord | null> {
    const row = await this.#db
      .selectFrom('oauth_clients as c')
      .innerJoin('integrators as i', 'i.id', 'c.integrator_id')
      .select([
        'c.id',
        'c.integrator_id',
        'c.environment',
        'c.scopes_json',
        'c.allowed_ips_json',
        'c.token_ttl_seconds',
        'c.rate_limit_json',
        'c.revoked_at',
        'i.status as integrator_status',
      ])
      .where('c.id', '=', clientId)
      .executeTakeFirst();
    if (!row) return null;
    const secrets = await this.#db
      .selectFrom('oauth_client_secrets')
      .select(['id', 'secret_hash', 'expires_at'])
      .where('client_id', '=', clientId)
      .execute();
    return Object.freeze({
      id: row.id,
      integratorId: row.integrator_id,
      environment: row.environment as Environment,
      scopes: Object.freeze(JSON.parse(row.scopes_json) as string[]),
      tokenTtlSeconds: row.token_ttl_seconds,
      rateLimit: row.rate_limit_json === null ? null : (JSON.parse(row.rate_limit_json) as RateLimit),
      allowlist: createIpAllowlist(JSON.parse(row.allowed_ips_json) as string[]),
      revoked: row.revoked_at !== null,
      integratorActive: row.integrator_status === 'active',
      secrets: secrets.map((s) => ({
        id: s.id,
        digest: Buffer.from(s.secret_hash, 'base64url'),
        expiresAt: s.expires_at,
      })),
    });
  }
}

/**
 * Whether an access token's client secret still works. A token lives no longer than the secret it
 * was obtained with, so a rotation ends the old secret's tokens when the old secret ends (at once
 * with overlap 0) and leaves the new secret's tokens alone. Tokens signed before tokens named
 * their secret carry no `secret_id` and live until they expire.
 */
export function tokenSecretLive(client: ClientRecord, secretId: string | undefined, now: number): boolean {
  if (secretId === undefined) return true;
  return client.secrets.some((secret) => secret.id === secretId && secretLive(secret, now));
}

function secretLive(secret: { readonly expiresAt: number | null }, now: number): boolean {
  return secret.expiresAt === null || secret.expiresAt > now;
}
