import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import fc from 'fast-check';
import { generateCredential } from '../crypto/key-format.ts';
import { createLogger } from './logger.ts';
import { redactSecrets } from './redact-secrets.ts';
import { userAgentForLog } from './user-agent.ts';

const jwt = () =>
  [
    Buffer.from('{"alg":"ES256","typ":"at+jwt","kid":"k1"}').toString('base64url'),
    Buffer.from(JSON.stringify({ sub: 'c', jti: randomBytes(8).toString('hex') })).toString('base64url'),
    randomBytes(64).toString('base64url'),
  ].join('.');
const webhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;
/** One of every kind of secret Gatehouse issues. */
const secrets = () => [
  generateCredential('gate', 'live'),
  generateCredential('gate', 'test'),
  generateCredential('acme', 'cslive'),
  generateCredential('gate', 'cstest'),
  generateCredential('gate', 'admin'),
  webhookSecret(),
  jwt(),
];

it('redacts every kind of secret Gatehouse issues and keeps the text around it', () => {
  for (const secret of secrets()) {
    assert.equal(redactSecrets(`curl/8.5 (${secret}) x`), 'curl/8.5 ([redacted]) x', secret.slice(0, 12));
  }
});

it('redacts a secret percent-encoded twice or three times over', () => {
  const key = generateCredential('gate', 'live');
  const twice = key.replace(/_/g, '%255F').replace(/^ga/, '%2567%2561');
  assert.equal(redactSecrets(`/v1/x?q=${twice}`), '/v1/x?q=[redacted]');
  const thrice = key.replace(/_/g, '%25255F');
  assert.equal(redactSecrets(`/v1/x?q=${thrice}`), '/v1/x?q=[redacted]');
});

it('redacts a secret whose characters are percent-encoded', () => {
  const key = generateCredential('gate', 'admin');
  const encoded = key.replace(/_/g, '%5F').replace(/^g/, '%67');
  assert.equal(redactSecrets(`/v1/x/${encoded}?y=1`), '/v1/x/[redacted]?y=1');
  const secret = webhookSecret();
  assert.ok(!redactSecrets(`/hook?s=${encodeURIComponent(secret)}`).includes('whsec_'));
});

it('redacts a JWT cut short, as long as a payload part is there', () => {
  const token = jwt();
  assert.equal(redactSecrets(`ua ${token.slice(0, token.indexOf('.') + 10)}`), 'ua [redacted]');
});

it('leaves ordinary strings exactly as they are', () => {
  for (const text of [
    'curl/8.5',
    'Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101',
    '/v1/orders/01931f2e-7c1a',
    '/a_b/c_d?page_size=10',
    '/v1/%E2%82%AC/x%20y',
  ]) {
    assert.equal(redactSecrets(text), text);
  }
});

it('never lets a secret through, whatever surrounds it (property)', () => {
  fc.assert(
    fc.property(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(...secrets()),
      fc.string({ maxLength: 40 }),
      (before, secret, after) => !redactSecrets(`${before}${secret}${after}`).includes(secret),
    ),
  );
});

it('redacts a user agent before cutting it, so no half of a secret is logged', () => {
  const key = generateCredential('gate', 'admin');
  const agent = `${'x'.repeat(240)} ${key}`;
  const logged = userAgentForLog(agent) as string;
  assert.equal(logged, `${'x'.repeat(240)} [redacted]`);
  assert.ok(!logged.includes(key.slice(0, 20)));
  assert.equal(userAgentForLog(`${'y'.repeat(300)}`), 'y'.repeat(256));
  assert.equal(userAgentForLog(undefined), null);
});

it('redacts secrets in every line the logger writes, whatever field holds them', () => {
  const lines: string[] = [];
  const logger = createLogger({ level: 'info', destination: { write: (line: string) => lines.push(line) } });
  const all = secrets();
  logger.info({ user_agent: all.join(' '), nested: { url: `/x?q=${all[6]}` } }, `message ${all[4]}`);
  logger.child({ component: 'admin' }).error({ err: new Error(`bad url /v1/${all[0]}`) }, 'oops');
  const text = lines.join('');
  for (const secret of all) assert.ok(!text.includes(secret), secret.slice(0, 12));
  assert.equal(lines.length, 2);
  assert.match(text, /\[redacted\]/);
});
