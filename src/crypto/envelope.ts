import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomFillSync,
} from 'node:crypto';

/**
 * AES-256-GCM envelope encryption with versioned key-encryption keys (P1).
 *
 * Each value gets its own random data key; the data key is encrypted under the current KEK. The
 * sealed form is base64url of:
 *
 *   format(1) | kek id(2) | wrap nonce(12) | wrapped data key(32) | wrap tag(16) | nonce(12) | ciphertext | tag(16)
 *
 * The header (format and kek id) and the caller's context string are authenticated, so a sealed
 * value cannot be moved to another row or re-labelled with another key id. Rotating the KEK means
 * adding a key with a higher id: new values use it, old ones still open, and `rewrap` moves them.
 */
const FORMAT = 1;
const HEADER = 3;
const NONCE = 12;
const TAG = 16;
const DATA_KEY = 32;
const WRAPPED = NONCE + DATA_KEY + TAG;
const MIN_LENGTH = HEADER + WRAPPED + NONCE + TAG;

export class DecryptionError extends Error {
  constructor() {
    super('sealed value could not be opened');
    this.name = 'DecryptionError';
  }
}

export interface Keyring {
  /** The id new values are sealed with: the highest id in `keys`. */
  readonly currentId: number;
  readonly keys: ReadonlyMap<number, KeyObject>;
}

export interface Envelope {
  seal(plaintext: string | Uint8Array, context: string): string;
  open(sealed: string, context: string): Buffer;
  openText(sealed: string, context: string): string;
  /** Re-seals under the current KEK without exposing the plaintext to the caller. */
  rewrap(sealed: string, context: string): string;
  /** The KEK id a sealed value uses, or undefined if it is not a sealed value. */
  keyIdOf(sealed: string): number | undefined;
}

/** Builds a keyring from raw 32-byte keys by id. */
export function createKeyring(rawKeys: ReadonlyMap<number, Uint8Array>): Keyring {
  if (rawKeys.size === 0) throw new Error('keyring needs at least one key');
  const keys = new Map<number, KeyObject>();
  for (const [id, raw] of rawKeys) {
    if (!Number.isInteger(id) || id < 1 || id > 0xffff) throw new Error(`invalid key id ${id}`);
    if (raw.length !== 32) throw new Error(`key ${id} must be 32 bytes`);
    keys.set(id, createSecretKey(raw));
  }
  return { currentId: Math.max(...keys.keys()), keys };
}

export function createEnvelope(keyring: Keyring): Envelope {
  const seal = (plaintext: string | Uint8Array, context: string): string => {
    const bytes = toBytes(plaintext);
    const out = Buffer.allocUnsafe(HEADER + WRAPPED + NONCE + bytes.length + TAG);
    out[0] = FORMAT;
    out.writeUInt16BE(keyring.currentId, 1);
    const header = out.subarray(0, HEADER);
    const dataKey = Buffer.alloc(DATA_KEY);
    takeRandom(dataKey);
    gcmSealInto(out, HEADER, kek(keyring, keyring.currentId), dataKey, header);
    gcmSealInto(
      out,
      HEADER + WRAPPED,
      createSecretKey(dataKey),
      bytes,
      Buffer.concat([header, Buffer.from(context)]),
    );
    dataKey.fill(0);
    return out.toString('base64url');
  };

  const open = (sealed: string, context: string): Buffer => {
    const bytes = Buffer.from(sealed, 'base64url');
    if (bytes.length < MIN_LENGTH || bytes[0] !== FORMAT) throw new DecryptionError();
    const header = bytes.subarray(0, HEADER);
    const key = keyring.keys.get(bytes.readUInt16BE(1));
    if (!key) throw new DecryptionError();
    const dataKey = gcmOpen(key, bytes.subarray(HEADER, HEADER + WRAPPED), header);
    if (dataKey.length !== DATA_KEY) throw new DecryptionError();
    const aad = Buffer.concat([header, Buffer.from(context)]);
    const body = gcmOpen(createSecretKey(dataKey), bytes.subarray(HEADER + WRAPPED), aad);
    dataKey.fill(0);
    return body;
  };

  return {
    seal,
    open,
    openText: (sealed, context) => open(sealed, context).toString('utf8'),
    rewrap: (sealed, context) => seal(open(sealed, context), context),
    keyIdOf(sealed) {
      const bytes = Buffer.from(sealed.slice(0, 4), 'base64url');
      return bytes[0] === FORMAT && bytes.length >= HEADER ? bytes.readUInt16BE(1) : undefined;
    },
  };
}

function kek(keyring: Keyring, id: number): KeyObject {
  const key = keyring.keys.get(id);
  if (!key) throw new Error(`no key with id ${id}`);
  return key;
}

// Nonces and data keys come from a pooled buffer refilled 4 KiB at a time (as crypto.randomUUID
// pools its randomness): one randomBytes call each was a third of a seal. Taken bytes are zeroed.
const randomPool = Buffer.alloc(4096);
let randomOffset = randomPool.length;

function takeRandom(into: Buffer): void {
  if (randomOffset + into.length > randomPool.length) {
    randomFillSync(randomPool);
    randomOffset = 0;
  }
  randomPool.copy(into, 0, randomOffset, randomOffset + into.length);
  randomPool.fill(0, randomOffset, randomOffset + into.length);
  randomOffset += into.length;
}

/** Writes nonce | ciphertext | tag of `plaintext` into `out` at `offset`. */
function gcmSealInto(
  out: Buffer,
  offset: number,
  key: KeyObject,
  plaintext: Uint8Array,
  aad: Uint8Array,
): void {
  const nonce = out.subarray(offset, offset + NONCE);
  takeRandom(nonce);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
  cipher.setAAD(aad);
  let at = offset + NONCE;
  at += cipher.update(plaintext).copy(out, at);
  at += cipher.final().copy(out, at);
  cipher.getAuthTag().copy(out, at);
}

function gcmOpen(key: KeyObject, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (sealed.length < NONCE + TAG) throw new DecryptionError();
  const nonce = sealed.subarray(0, NONCE);
  const tag = sealed.subarray(sealed.length - TAG);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}

function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}
