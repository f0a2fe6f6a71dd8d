import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Envelope } from '../crypto/envelope.ts';
import type { DialectName } from '../db/database.ts';
import type { Schema } from '../db/schema.ts';
import { lockAuditHead } from './audit-head.ts';
import { auditKeyId, CHECKPOINT_ALGORITHM } from './checkpoint-format.ts';

export interface AuditKeyPair {
  readonly keyId: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

/** The public half, for an auditor to keep: `gatehouse audit public-key`. */
export interface AuditPublicKey {
  key_id: string;
  algorithm: typeof CHECKPOINT_ALGORITHM;
  /** SPKI PEM: what `gatehouse audit verify --public-key` and `openssl pkey -pubin` read. */
  public_key_pem: string;
  jwk: { kty: string; crv: string; x: string };
  created_at: string;
}

/**
 * The Ed25519 key that signs audit checkpoints, generated on first use. The private half is sealed
 * with the envelope (P1) under a context naming the key, like the OAuth and webhook signing keys;
 * the public half is derived from the opened private key, so a swapped `public_pem` cannot make
 * forged checkpoints pass the server's own verify.
 */
export class AuditSigningKey {
  readonly #dialect: DialectName;
  readonly #envelope: Envelope;
  #loaded: { pair: AuditKeyPair; createdAt: number } | undefined;

  constructor(dialect: DialectName, envelope: Envelope) {
    this.#dialect = dialect;
    this.#envelope = envelope;
  }

  /** The existing key, or undefined when no checkpoint has been signed yet. */
  async find(db: Kysely<Schema>): Promise<AuditKeyPair | undefined> {
    return (await this.#find(db))?.pair;
  }

  /** The key, created (inside its own locked transaction) when there is none. */
  async get(db: Kysely<Schema>): Promise<AuditKeyPair> {
    const found = await this.find(db);
    if (found) return found;
    return db.transaction().execute(async (trx) => {
      await lockAuditHead(trx, this.#dialect);
      return this.ensure(trx);
    });
  }

  /** Inside a transaction that holds the audit head lock: the key, created when there is none. */
  async ensure(trx: Kysely<Schema>, now = Date.now()): Promise<AuditKeyPair> {
    const found = await this.find(trx);
    if (found) return found;
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const keyId = auditKeyId(publicKey);
    await trx
      .insertInto('audit_signing_keys')
      .values({
        key_id: keyId,
        public_pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
        private_sealed: this.#envelope.seal(
          privateKey.export({ format: 'pem', type: 'pkcs8' }),
          sealContext(keyId),
        ),
        created_at: now,
      })
      .execute();
    // Not cached here: the transaction may still roll back.
    return { keyId, privateKey, publicKey };
  }

  async publicKey(db: Kysely<Schema>): Promise<AuditPublicKey> {
    await this.get(db);
    const loaded = (await this.#find(db)) as { pair: AuditKeyPair; createdAt: number };
    const jwk = loaded.pair.publicKey.export({ format: 'jwk' });
    return {
      key_id: loaded.pair.keyId,
      algorithm: CHECKPOINT_ALGORITHM,
      public_key_pem: loaded.pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
      jwk: { kty: String(jwk.kty), crv: String(jwk.crv), x: String(jwk.x) },
      created_at: new Date(loaded.createdAt).toISOString(),
    };
  }

  async #find(db: Kysely<Schema>): Promise<{ pair: AuditKeyPair; createdAt: number } | undefined> {
    if (this.#loaded) return this.#loaded;
    const row = await db
      .selectFrom('audit_signing_keys')
      .select(['key_id', 'private_sealed', 'created_at'])
      .orderBy('created_at', 'asc')
      .limit(1)
      .executeTakeFirst();
    if (!row) return undefined;
    const privateKey = createPrivateKey(this.#envelope.openText(row.private_sealed, sealContext(row.key_id)));
    const publicKey = createPublicKey(privateKey);
    this.#loaded = {
      pair: { keyId: auditKeyId(publicKey), privateKey, publicKey },
      createdAt: row.created_at,
    };
    return this.#loaded;
  }
}

function sealContext(keyId: string): string {
  return `audit_signing_key:${keyId}`;
}
