import type { EnvReader } from '../config/env-reader.ts';

/** The OAuth authorization server's settings (`GATEHOUSE_OAUTH_*`). */
export interface OAuthConfig {
  /** `iss` of every token and the metadata's issuer; null: `https://localhost:<data port>`. */
  readonly issuer: string | null;
  /** `aud` of every token; null: the issuer. */
  readonly audience: string | null;
  /** Requests per second per authenticated client and per client_id from one IP (burst 4×); per IP twice that. */
  readonly tokenRequestsPerSecond: number;
}

export function readOAuthConfig(read: EnvReader): OAuthConfig {
  const issuer = read.optionalString('GATEHOUSE_OAUTH_ISSUER') ?? null;
  if (issuer !== null && !/^https:\/\/[^\s?#]+[^/\s?#]$/.test(issuer)) {
    read.problem(
      'GATEHOUSE_OAUTH_ISSUER must be an https:// URL without query, fragment or trailing slash (RFC 8414)',
    );
  }
  return {
    issuer,
    audience: read.optionalString('GATEHOUSE_OAUTH_AUDIENCE') ?? null,
    tokenRequestsPerSecond: read.integer('GATEHOUSE_OAUTH_TOKEN_RATE', 5, 1, 10_000),
  };
}
