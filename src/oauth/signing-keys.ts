import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditContext, AuditLog } from '../audit/audit-log.ts';
import { changeTransaction } from '../audit/change-transaction.ts';
import type { Envelope } from '../crypto/envelope.ts';
import type { Schema } from '../db/schema.ts';
import type { ChangeBus } from '../events/change-bus.ts';
import { MAX_TOKEN_TTL_SECONDS } from './oauth-client.ts';
import type { OAuthSigningKeyTable } from './oauth-schema.ts';

export const SIGNING_ALGORITHM = 'ES256';

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

export interface PublishedKey {
  readonly kid: string;
  readonly publicKey: KeyObject;
  readonly jwk: JsonWebKey;
  readonly createdAt: number;
  readonly retiredAt: number | null;
}

export interface SigningKeySummary {
  kid: string;
  algorithm: string;
  status: 'active' | 'retired';
  created_at: string;
  retired_at: string | null;
  /** When the key leaves the JWKS: every token it signed has expired by then. */
  unpublished_at: string | null;
}

const RETENTION_MS = MAX_TOKEN_TTL_SECONDS * 1000;
const UNKNOWN_KID_RELOAD_MS = 1000;
/** Another instance's rotation, without Redis to announce it, is picked up at most this late. */
const MAX_STATE_AGE_MS = 60_000;

/**
 * Access-token signing keys (K6): ES256 key pairs, private halves sealed at rest (P1) and named by
 * their RFC 7638 thumbprint. The newest unretired key signs; a rotated-out key stays published in
 * the JWKS until every token it can have signed has expired.
 */
export class SigningKeys {
  readonly #db: Kysely<Schema>;
  readonly #envelope: Envelope;
  readonly #audit: AuditLog;
  readonly #changes: ChangeBus;
  #loaded: Promise<{ signing: SigningKey | null; published: Map<string, PublishedKey> }> | null = null;
  #lastReload = 0;

  constructor(deps: { db: Kysely<Schema>; envelope: Envelope; audit: AuditLog; changes: ChangeBus }) {
    this.#db = deps.db;
    this.#envelope = deps.envelope;
    this.#audit = deps.audit;
    this.#changes = deps.changes;
    deps.changes.subscribe((topic) => {
      if (topic === 'signing_keys') this.#loaded = null;
    });
  }

  /** Creates the first key when there is none (first start). */
  async ensureSigningKey(context: AuditContext): Promise<void> {
    if ((await this.#state()).signing) return;
    await this.rotate(context);
  }

  /** The key that signs new tokens. */
  async current(): Promise<SigningKey> {
    const { signing } = await this.#state();
    if (!signing) throw new Error('no signing key: ensureSigningKey was not called');
    return signing;
  }

  /** The public key for a `kid`, including recently retired ones; reloads once per second for unknown ids. */
  async publicKey(kid: string, now = Date.now()): Promise<KeyObject | undefined> {
    let key = (await this.#state()).published.get(kid);
    if (key === undefined && now - this.#lastReload > UNKNOWN_KID_RELOAD_MS) {
      this.#loaded = null;
      key = (await this.#state()).published.get(kid);
    }
    return key?.publicKey;
  }

  /** The JWKS document (RFC 7517) of every key whose tokens may still be valid. */
  async jwks(): Promise<{ keys: JsonWebKey[] }> {
    return { keys: [...(await this.#state()).published.values()].map((key) => key.jwk) };
  }

  async list(now = Date.now()): Promise<SigningKeySummary[]> {
    const rows = await this.#db
      .selectFrom('oauth_signing_keys')
      .selectAll()
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map((row) => toSummary(row, now));
  }

  /** Makes a new key the signing key and retires the others (they stay published for verification). */
  async rotate(context: AuditContext, now = Date.now()): Promise<SigningKeySummary> {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const kid = thumbprint(jwk);
    const row: OAuthSigningKeyTable = {
      kid,
      algorithm: SIGNING_ALGORITHM,
      public_jwk: JSON.stringify({ ...jwk, kid, alg: SIGNING_ALGORITHM, use: 'sig' }),
      private_sealed: this.#envelope.seal(
        privateKey.export({ format: 'pem', type: 'pkcs8' }),
        sealContext(kid),
      ),
      created_at: now,
      retired_at: null,
    };
    const summary = await changeTransaction(this.#db, context, async (trx) => {
      const retiring = await trx
        .selectFrom('oauth_signing_keys')
        .select('kid')
        .where('retired_at', 'is', null)
        .execute();
      await trx
        .updateTable('oauth_signing_keys')
        .set({ retired_at: now })
        .where('retired_at', 'is', null)
        .execute();
      await trx.insertInto('oauth_signing_keys').values(row).execute();
      await this.#audit.append(trx, {
        ...context,
        action: 'signing_key.rotate',
        target: { type: 'signing_key', id: kid },
        after: { kid, algorithm: SIGNING_ALGORITHM, retired: retiring.map((r) => r.kid) },
      });
      return toSummary(row, now);
    });
    this.#loaded = null;
    this.#changes.publish('signing_keys');
    return summary;
  }

  #state() {
    if (Date.now() - this.#lastReload > MAX_STATE_AGE_MS) this.#loaded = null;
    this.#loaded ??= this.#load().catch((error: unknown) => {
      this.#loaded = null;
      throw error;
    });
    return this.#loaded;
  }

  async #load(now = Date.now()) {
    this.#lastReload = now;
    const rows = await this.#db
      .selectFrom('oauth_signing_keys')
      .selectAll()
      .where((eb) => eb.or([eb('retired_at', 'is', null), eb('retired_at', '>', now - RETENTION_MS)]))
      .orderBy('created_at', 'desc')
      .execute();
    const published = new Map<string, PublishedKey>();
    for (const row of rows) {
      const jwk = JSON.parse(row.public_jwk) as JsonWebKey;
      published.set(row.kid, {
        kid: row.kid,
        jwk,
        publicKey: createPublicKey({ key: jwk, format: 'jwk' }),
        createdAt: row.created_at,
        retiredAt: row.retired_at,
      });
    }
    const newest = rows.find((row) => row.retired_at === null);
    const signing = newest
      ? {
          kid: newest.kid,
          privateKey: createPrivateKey(
            this.#envelope.openText(newest.private_sealed, sealContext(newest.kid)),
          ),
        }
      : null;
    return { signing, published };
  }
}

/** RFC 7638 JWK thumbprint of an EC public key. */
function thumbprint(jwk: JsonWebKey): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

function sealContext(kid: string): string {
  return `oauth_signing_key:${kid}`;
}

function toSummary(row: OAuthSigningKeyTable, now: number): SigningKeySummary {
  return {
    kid: row.kid,
    algorithm: row.algorithm,
    status: row.retired_at === null ? 'active' : 'retired',
    created_at: new Date(row.created_at).toISOString(),
    retired_at: row.retired_at === null ? null : new Date(row.retired_at).toISOString(),
    unpublished_at:
      row.retired_at === null ? null : new Date(Math.max(row.retired_at + RETENTION_MS, now)).toISOString(),
  };
}
