import { createHash, type KeyObject, verify } from 'node:crypto';
import type { AuditContext } from '../audit/audit-log.ts';
import { type PublicRoute, readRouteBody } from '../gateway/public-route.ts';
import { type CodeHostKeys, CodeHostKeysUnavailable } from './code-host-keys.ts';
import type { LeakConfig } from './leak-config.ts';
import type { LeakReportStore } from './leak-report-store.ts';
import type { LeakedCredentials } from './leaked-credentials.ts';

export const GITHUB_LEAK_PATH = '/secret-scanning/github';
const MAX_BODY_BYTES = 64 * 1024;
const MAX_TOKENS = 100;
/** A claim not answered within this long was left by a crash: the code host's retry may take it. */
const ABANDONED_CLAIM_MS = 60_000;
const REPORTER = 'github';
const SYSTEM: AuditContext = Object.freeze({
  actor: Object.freeze({ type: 'system', id: null, name: 'github secret scanning' }),
});
const SIGNATURE = /^[A-Za-z0-9+/]{1,200}={0,2}$/;

/** One match in a report, as the code host sends it. */
interface ReportedToken {
  readonly token: string;
  readonly type: string;
  readonly url: string | undefined;
}

/**
 * `POST /secret-scanning/github` (O5): GitHub's secret-scanning partner protocol. The body — a JSON
 * array of `{token, type, url, source}` — must carry an ECDSA P-256 signature
 * (`GITHUB-PUBLIC-KEY-SIGNATURE`, base64 DER over the raw body) by the configured key named in
 * `GITHUB-PUBLIC-KEY-IDENTIFIER`. Each token is looked up (checksum first, so a decoy costs no
 * read) and, per `GATEHOUSE_LEAK_POLICY`, revoked or flagged; the answer labels each one
 * `true_positive` (a credential of this deployment) or `false_positive`, by its SHA-256, never
 * echoing a token. A body is claimed before it is answered, so a copy (at once, on any instance,
 * or later) is refused as `report_replayed`; a failed answer gives the claim back for the retry.
 */
export function githubLeakRoute(deps: {
  leaks: LeakedCredentials;
  reports: LeakReportStore;
  config: LeakConfig;
  /** The code host's keys; null: the receiver is off (404). */
  keys: CodeHostKeys | null;
}): PublicRoute {
  const { keys } = deps;
  return {
    method: 'POST',
    path: GITHUB_LEAK_PATH,
    async handle(req, res, context) {
      if (keys === null) return context.sendProblem(404, 'not_found', 'Leak reports are not received here');
      const body = await readRouteBody(req, context, MAX_BODY_BYTES, 'A report');
      if (body === null) return;
      let key: KeyObject | undefined;
      try {
        key = await keys.find(String(req.headers['github-public-key-identifier'] ?? '').slice(0, 256));
      } catch (error) {
        if (!(error instanceof CodeHostKeysUnavailable)) throw error;
        return context.sendProblem(
          503,
          'report_keys_unavailable',
          'The code host’s signing keys cannot be fetched now; send the report again later',
        );
      }
      const signature = String(req.headers['github-public-key-signature'] ?? '');
      if (key === undefined || !SIGNATURE.test(signature) || !verifies(body, key, signature))
        return context.sendProblem(
          401,
          'report_signature_invalid',
          'Sign the body with a key of the code host and name it in GITHUB-PUBLIC-KEY-IDENTIFIER',
        );
      const tokens = reportedTokens(body);
      if (tokens === null)
        return context.sendProblem(
          400,
          'validation_failed',
          `Send a JSON array of 1 to ${MAX_TOKENS} objects {"token", "type", "url", "source"} with string values`,
        );
      const digest = createHash('sha256').update(body).digest('hex');
      if (!(await deps.reports.claim(digest, REPORTER, tokens.length, Date.now(), ABANDONED_CLAIM_MS)))
        return context.sendProblem(409, 'report_replayed', 'This report was answered already');
      let labels: TokenLabel[];
      try {
        labels = await answerTokens(deps, tokens, context);
      } catch (error) {
        await deps.reports.release(digest);
        throw error;
      }
      await deps.reports.answered(digest, Date.now());
      const answer = JSON.stringify(labels);
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(answer),
        'cache-control': 'no-store',
      });
      res.end(answer);
    },
  };
}

interface TokenLabel {
  readonly token_hash: string;
  readonly token_type: string;
  readonly label: 'true_positive' | 'false_positive';
}

async function answerTokens(
  deps: { leaks: LeakedCredentials; config: LeakConfig },
  tokens: readonly ReportedToken[],
  context: { readonly ip: string; readonly requestId: string },
): Promise<TokenLabel[]> {
  const labels: TokenLabel[] = [];
  for (const reported of tokens) {
    const [action] = await deps.leaks.answer([reported.token], {
      source: { reporter: REPORTER, url: reported.url, ip: context.ip },
      revoke: deps.config.policy === 'revoke',
      context: { ...SYSTEM, ip: context.ip, requestId: context.requestId },
    });
    labels.push({
      token_hash: createHash('sha256').update(reported.token).digest('hex'),
      token_type: reported.type,
      label: action?.status === 'unknown' ? 'false_positive' : 'true_positive',
    });
  }
  return labels;
}

function verifies(body: Buffer, key: KeyObject, signature: string): boolean {
  try {
    return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

function reportedTokens(body: Buffer): ReportedToken[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length === 0 || parsed.length > MAX_TOKENS) return null;
  const tokens: ReportedToken[] = [];
  for (const entry of parsed) {
    const { token, type, url } = (entry ?? {}) as Record<string, unknown>;
    if (typeof token !== 'string' || token.length === 0 || token.length > 512) return null;
    if (type !== undefined && typeof type !== 'string') return null;
    if (url !== undefined && (typeof url !== 'string' || url.length > 2048)) return null;
    tokens.push({
      token,
      type: (type as string | undefined)?.slice(0, 100) ?? '',
      url: url as string | undefined,
    });
  }
  return tokens;
}
