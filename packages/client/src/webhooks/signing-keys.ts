import { createHash, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';

/** The keys a receiver trusts, imported once: HMAC keys from `whsec_…`, Ed25519 keys from `whpk_…`. */
export interface TrustedKeys {
  readonly hmac: readonly KeyObject[];
  readonly ed25519: readonly KeyObject[];
  /** A short one-way tag of the secrets, to keep replay-cache entries of different receivers apart. */
  readonly tag: string;
}

/**
 * Imports `whsec_<base64 key>` (standard and simple schemes) and `whpk_<base64 Ed25519 key>` strings.
 * A value that is neither throws a TypeError that never quotes the value.
 */
export function importTrustedKeys(secrets: string | readonly string[]): TrustedKeys {
  const list = typeof secrets === 'string' ? secrets.split(' ').filter(Boolean) : [...secrets];
  if (list.length === 0)
    throw new TypeError('verifyWebhook needs at least one secret (whsec_…) or public key (whpk_…)');
  const hmac: KeyObject[] = [];
  const ed25519: KeyObject[] = [];
  list.forEach((secret, index) => {
    if (typeof secret === 'string' && secret.startsWith('whsec_')) {
      const encoded = secret.slice('whsec_'.length);
      const key = Buffer.from(encoded, 'base64');
      if (/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) && key.length >= 16) {
        hmac.push(createSecretKey(key));
        return;
      }
    } else if (typeof secret === 'string' && secret.startsWith('whpk_')) {
      const raw = Buffer.from(secret.slice('whpk_'.length), 'base64');
      if (raw.length === 32) {
        ed25519.push(
          createPublicKey({
            key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') },
            format: 'jwk',
          }),
        );
        return;
      }
    }
    throw new TypeError(`webhook secret #${index + 1} is neither a whsec_ secret nor a whpk_ public key`);
  });
  const tag = createHash('sha256').update(list.slice().sort().join('\n')).digest('base64url').slice(0, 12);
  return { hmac, ed25519, tag };
}
