import { sign } from 'node:crypto';
import { errors, jwtVerify } from 'jose';
import { BoundedCache } from '../cache/bounded-cache.ts';
import { uuid7 } from '../db/uuid7.ts';
import type { Environment } from '../environments/environment.ts';
import type { ClientRecord } from './client-registry.ts';
import { SIGNING_ALGORITHM, type SigningKey, type SigningKeys } from './signing-keys.ts';

/** The claims of a Gatehouse access token (RFC 9068 plus the environment and the integrator). */
export interface AccessTokenClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly client_id: string;
  readonly scope: string;
  readonly environment: Environment;
  readonly integrator_id: string;
  /** The client secret the token was obtained with (absent from tokens signed before it was added). */
  readonly secret_id?: string;
}

export type TokenCheck =
  | { readonly ok: true; readonly claims: AccessTokenClaims }
  | {
      readonly ok: false;
      readonly reason: 'malformed' | 'invalid_signature' | 'expired' | 'wrong_issuer' | 'wrong_audience';
    };

export interface TokenAudience {
  /** The issuer and audience; a function because the default issuer is known only once the data path listens. */
  issuer(): string;
  audience(): string;
}

const TOKEN_TYPE = 'at+jwt';
const JWT_SHAPE = /^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const VERIFIED_CACHE_SIZE = 50_000;

/** Looks like a JWS compact serialization: what the gateway's Bearer-JWT strategy claims. */
export function looksLikeJwt(value: string): boolean {
  return value.length < 4096 && JWT_SHAPE.test(value);
}

/**
 * Issues and checks JWT access tokens (RFC 9068: `typ: at+jwt`, iss, sub, aud, exp, iat, jti,
 * client_id, scope), signed ES256 with the current signing key. A token whose signature and claims
 * were checked once is remembered until it expires, so the gateway pays for one signature check per
 * token, not per request; revocation is checked separately on every use.
 */
export class AccessTokens {
  readonly #keys: SigningKeys;
  readonly #audience: TokenAudience;
  readonly #verified = new BoundedCache<string, AccessTokenClaims>(VERIFIED_CACHE_SIZE);
  /** The encoded protected header of the current signing key: the same bytes for every token it signs. */
  #header: { readonly key: SigningKey; readonly encoded: string } | null = null;

  constructor(keys: SigningKeys, audience: TokenAudience) {
    this.#keys = keys;
    this.#audience = audience;
  }

  async issue(
    client: ClientRecord,
    secretId: string,
    scopes: readonly string[],
    now = Date.now(),
  ): Promise<{ token: string; claims: AccessTokenClaims }> {
    const iat = Math.floor(now / 1000);
    const claims: AccessTokenClaims = {
      iss: this.#audience.issuer(),
      sub: client.id,
      aud: this.#audience.audience(),
      exp: iat + client.tokenTtlSeconds,
      iat,
      jti: uuid7(now),
      client_id: client.id,
      scope: scopes.join(' '),
      environment: client.environment,
      integrator_id: client.integratorId,
      secret_id: secretId,
    };
    const key = await this.#keys.current();
    // A JWS compact serialization (RFC 7515 §7.1) signed here with node:crypto rather than jose's
    // SignJWT: jose signs through WebCrypto, which runs each signature on the libuv thread pool and
    // left the event loop idle half the time; the bytes are the same (header {alg, typ, kid}).
    const signingInput = `${this.#encodedHeader(key)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
    const signature = sign('sha256', Buffer.from(signingInput), {
      key: key.privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    const token = `${signingInput}.${signature.toString('base64url')}`;
    return { token, claims };
  }

  #encodedHeader(key: SigningKey): string {
    if (this.#header?.key !== key) {
      const header = { alg: SIGNING_ALGORITHM, typ: TOKEN_TYPE, kid: key.kid };
      this.#header = { key, encoded: Buffer.from(JSON.stringify(header)).toString('base64url') };
    }
    return this.#header.encoded;
  }

  async verify(token: string, now = Date.now()): Promise<TokenCheck> {
    const remembered = this.#verified.get(token);
    if (remembered !== undefined) {
      if (remembered.exp * 1000 > now) return { ok: true, claims: remembered };
      this.#verified.delete(token);
      return { ok: false, reason: 'expired' };
    }
    if (!looksLikeJwt(token)) return { ok: false, reason: 'malformed' };
    try {
      const { payload } = await jwtVerify(
        token,
        async (header) => {
          const key = header.kid === undefined ? undefined : await this.#keys.publicKey(header.kid, now);
          if (!key) throw new errors.JWSSignatureVerificationFailed();
          return key;
        },
        {
          issuer: this.#audience.issuer(),
          audience: this.#audience.audience(),
          typ: TOKEN_TYPE,
          algorithms: [SIGNING_ALGORITHM],
          currentDate: new Date(now),
          clockTolerance: 5,
          requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id', 'scope', 'environment', 'integrator_id'],
        },
      );
      const claims = payload as unknown as AccessTokenClaims;
      if (
        typeof claims.scope !== 'string' ||
        (claims.secret_id !== undefined && typeof claims.secret_id !== 'string') ||
        (claims.environment !== 'production' && claims.environment !== 'sandbox')
      ) {
        return { ok: false, reason: 'malformed' };
      }
      this.#verified.set(token, claims);
      return { ok: true, claims };
    } catch (error) {
      return { ok: false, reason: reasonOf(error) };
    }
  }
}

function reasonOf(error: unknown): Exclude<TokenCheck, { ok: true }>['reason'] {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.claim === 'iss') return 'wrong_issuer';
    if (error.claim === 'aud') return 'wrong_audience';
    return 'malformed';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'invalid_signature';
  return 'malformed';
}
