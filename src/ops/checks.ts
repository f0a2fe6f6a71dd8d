import { BlockList, isIP } from 'node:net';
import { formatDuration } from '../webhooks/duration.ts';
import type { CheckResult, CheckStatus } from './checklist-report.ts';
import type { ConfigFacts } from './config-facts.ts';
import type { ServerFacts } from './server-facts.ts';

interface Verdict {
  readonly status: CheckStatus;
  readonly detail: string;
  readonly fix?: string;
}

interface Check<F> {
  readonly id: string;
  readonly title: string;
  readonly evaluate: (facts: F) => Verdict;
}

const pass = (detail: string): Verdict => ({ status: 'pass', detail });
const MAX_ROTATION_AGE_MS = 365 * 86_400_000;
const MIN_CERTIFICATE_DAYS = 14;
const listed = (items: readonly string[], max = 5) =>
  items.length <= max ? items.join(', ') : `${items.slice(0, max).join(', ')} and ${items.length - max} more`;

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
const privateRanges = new BlockList();
for (const [net, bits] of [
  ['10.0.0.0', 8],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['100.64.0.0', 10],
] as const)
  privateRanges.addSubnet(net, bits, 'ipv4');
privateRanges.addSubnet('fc00::', 7, 'ipv6');
privateRanges.addSubnet('fe80::', 10, 'ipv6');

/** The checklist items the configuration alone decides (O1), in the order `doctor` prints them. */
export const CONFIG_CHECKS: readonly Check<ConfigFacts>[] = [
  {
    id: 'production_mode',
    title: 'Runs in production mode',
    evaluate: (f) =>
      f.mode === 'production'
        ? pass('GATEHOUSE_ENV=production: secrets and a certificate are required at start')
        : { status: 'fail', detail: 'GATEHOUSE_ENV is development', fix: 'set GATEHOUSE_ENV=production' },
  },
  {
    id: 'secrets_configured',
    title: 'Secrets come from the environment or _FILE, none a placeholder',
    evaluate: (f) => {
      const generated = f.secrets.filter((s) => s.source === 'generated').map((s) => s.name);
      const placeholders = f.secrets.filter((s) => s.placeholder).map((s) => s.name);
      if (placeholders.length > 0)
        return {
          status: 'fail',
          detail: `${listed(placeholders)} look like a copied example`,
          fix: 'generate random values (README, "Configuration") and rotate what was issued under them',
        };
      if (generated.length > 0)
        return {
          status: 'fail',
          detail: `${listed(generated)} are development secrets generated into the data directory`,
          fix: `set ${listed(generated)} (or the same names with _FILE) from your secret store`,
        };
      return pass(f.secrets.map((s) => `${s.name}: ${s.source}`).join('; '));
    },
  },
  {
    id: 'tls_certificate',
    title: 'Both ports serve a real TLS certificate',
    evaluate: ({ certificate: c }) => {
      const fix =
        'set GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE to a certificate from a CA your clients trust';
      if (c.kind === 'development')
        return { status: 'fail', detail: 'the generated development certificate is in use', fix };
      if (c.kind === 'unusable') return { status: 'fail', detail: c.problem, fix };
      if (c.selfSigned || c.developmentCa)
        return {
          status: 'fail',
          detail: `${c.subject} is ${c.selfSigned ? 'self-signed' : 'issued by a development CA'}`,
          fix,
        };
      if (c.daysLeft < MIN_CERTIFICATE_DAYS)
        return {
          status: c.daysLeft < 0 ? 'fail' : 'warn',
          detail: `${c.subject} expires in ${c.daysLeft} days`,
          fix: 'renew the certificate, then `gatehouse serve` again',
        };
      return pass(`${c.subject}, issued by ${c.issuer}, ${c.daysLeft} days left`);
    },
  },
  {
    id: 'admin_port_private',
    title: 'The admin port is not bound publicly',
    evaluate: ({ adminHost }) => {
      const lower = adminHost.toLowerCase();
      const host = lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
      const family = isIP(host) === 6 ? 'ipv6' : 'ipv4';
      const fix = 'set GATEHOUSE_ADMIN_HOST=127.0.0.1 (or a private address behind a firewall)';
      if (host === 'localhost' || (isIP(host) !== 0 && loopback.check(host, family)))
        return pass(`bound to ${host}`);
      // `0`, `0.0`, `0x0`, `00`: the resolver reads them as 0.0.0.0, and the port binds every interface.
      if (host === '0.0.0.0' || host === '::' || /^(?:0x0*|0+)(?:\.(?:0x0*|0+)){0,3}$/.test(host))
        return { status: 'fail', detail: `bound to ${host}: every interface, public ones included`, fix };
      if (isIP(host) === 0)
        return {
          status: 'warn',
          detail: `bound to the name ${host}; make sure it is not a public address`,
          fix,
        };
      if (privateRanges.check(host, family))
        return { status: 'warn', detail: `bound to the private address ${host}; firewall it`, fix };
      return { status: 'fail', detail: `bound to the public address ${host}`, fix };
    },
  },
  {
    id: 'data_dir_private',
    title: 'Data directory and database files are readable by their owner only',
    evaluate: (f) =>
      f.exposedDataFiles.length === 0
        ? pass('no file in the data directory is readable by group or others')
        : {
            status: 'fail',
            detail: `readable by others: ${listed(f.exposedDataFiles)}`,
            fix: 'chmod 700 the data directory and 600 its files (GATEHOUSE_DATA_DIR)',
          },
  },
  {
    id: 'certificate_validation',
    title: 'Certificate validation is on for outgoing connections',
    evaluate: (f) =>
      f.certificateValidationDisabled
        ? {
            status: 'fail',
            detail:
              'NODE_TLS_REJECT_UNAUTHORIZED=0: webhooks, alert sinks and upstreams accept any certificate',
            fix: 'unset NODE_TLS_REJECT_UNAUTHORIZED; trust an internal CA with GATEHOUSE_WEBHOOK_CA_FILE instead',
          }
        : pass('NODE_TLS_REJECT_UNAUTHORIZED is not set to 0'),
  },
  {
    id: 'log_redaction',
    title: 'Logs never hold a secret (proven with a canary)',
    evaluate: (f) =>
      f.redactionLeaks.length === 0
        ? pass('a generated canary credential logged in 8 places came out redacted every time')
        : {
            status: 'fail',
            detail: `the canary came out unredacted from: ${listed(f.redactionLeaks, 8)}`,
            fix: 'this is a defect in Gatehouse: report it, and keep logs where only operators read them',
          },
  },
  {
    id: 'retention_set',
    title: 'Every data class has a retention period',
    evaluate: (f) => {
      const forever = Object.entries(f.retention)
        .filter(([name, period]) => period === null && name !== 'AUDIT')
        .map(([name]) => `GATEHOUSE_RETENTION_${name}`);
      if (forever.length > 0)
        return {
          status: 'fail',
          detail: `kept forever: ${listed(forever)}`,
          fix: 'set a duration such as 90d for each',
        };
      return pass(
        Object.entries(f.retention)
          .map(
            ([name, period]) =>
              `${name.toLowerCase()} ${period === null ? 'forever' : formatDuration(period)}`,
          )
          .join(', '),
      );
    },
  },
  {
    id: 'rotation_policy',
    title: 'A rotation policy is set',
    evaluate: (f) =>
      f.rotationAgeMs <= MAX_ROTATION_AGE_MS
        ? pass(
            `credentials are due for rotation after ${formatDuration(f.rotationAgeMs)} (GATEHOUSE_ALERT_ROTATION_AGE)`,
          )
        : {
            status: 'fail',
            detail: `GATEHOUSE_ALERT_ROTATION_AGE is ${formatDuration(f.rotationAgeMs)}: more than a year`,
            fix: 'set GATEHOUSE_ALERT_ROTATION_AGE to 90d or less',
          },
  },
  {
    id: 'shared_state',
    title: 'Several instances share PostgreSQL and Redis',
    evaluate: (f) => {
      if (f.declaredInstances > 1 && (f.database !== 'postgres' || !f.redis))
        return {
          status: 'fail',
          detail: `GATEHOUSE_INSTANCES=${f.declaredInstances} with ${f.database}${f.redis ? '' : ' and no Redis'}`,
          fix: 'set GATEHOUSE_DATABASE_URL and GATEHOUSE_REDIS_URL on every instance',
        };
      if (f.database === 'postgres' && !f.redis)
        return {
          status: 'warn',
          detail:
            'PostgreSQL without Redis: rate limits are per instance, revocation reaches others within 1 s',
          fix: 'set GATEHOUSE_REDIS_URL if more than one instance runs',
        };
      return pass(`${f.declaredInstances} instance(s), ${f.database}${f.redis ? ' and Redis' : ''}`);
    },
  },
];

/** The items only the running server can answer. */
export const SERVER_CHECKS: readonly Check<ServerFacts & { readonly rotationAgeMs: number }>[] = [
  {
    id: 'plain_http_refused',
    title: 'No plain-HTTP listener except the refusal one',
    evaluate: (f) => {
      const open = f.plainHttp.filter((p) => !p.refused).map((p) => `${p.listener} (${p.answer})`);
      return open.length === 0
        ? pass(f.plainHttp.map((p) => `${p.listener}: ${p.answer}`).join('; '))
        : {
            status: 'fail',
            detail: `answered plain HTTP: ${listed(open)}`,
            fix: 'serve only TLS on these ports',
          };
    },
  },
  {
    id: 'webhook_endpoints_signed',
    title: 'Webhook endpoints are HTTPS with signing on',
    evaluate: (f) => {
      const bad = f.endpoints
        .filter((e) => !e.url.startsWith('https://') || e.signingSecrets === 0)
        .map((e) => e.id);
      return bad.length === 0
        ? pass(`${f.endpoints.length} endpoint(s), all https:// and signed`)
        : {
            status: 'fail',
            detail: `not https or not signing: ${listed(bad)}`,
            fix: 'replace or delete these endpoints',
          };
    },
  },
  {
    id: 'alert_sink',
    title: 'Monitoring reaches a person: an alert sink is configured',
    evaluate: (f) => {
      const fix = 'add one: gatehouse alert-sinks create --type slack, email or webhook';
      if (f.sinkTypes.length === 0)
        return { status: 'fail', detail: 'no alert sink: alerts are only stored', fix };
      if (f.sinkTypes.every((type) => type === 'log'))
        return {
          status: 'warn',
          detail: 'only log sinks: alerts reach nobody unless the log is watched',
          fix,
        };
      return pass(`sinks: ${listed([...new Set(f.sinkTypes)])}`);
    },
  },
  {
    id: 'credential_age',
    title: 'No credential is older than the rotation policy',
    evaluate: (f) =>
      f.overdueCredentials.length === 0
        ? pass(`every live credential is younger than ${formatDuration(f.rotationAgeMs)}`)
        : {
            status: 'fail',
            detail: `due for rotation: ${listed(f.overdueCredentials.map((c) => `${c.id} (${c.ageDays} days)`))}`,
            fix: 'rotate them: gatehouse keys rotate ID, gatehouse clients rotate ID',
          },
  },
];

/** Runs each check over its facts. */
export function evaluate<F>(checks: readonly Check<F>[], facts: F): CheckResult[] {
  return checks.map(({ id, title, evaluate: run }) => {
    const verdict = run(facts);
    return {
      id,
      title,
      status: verdict.status,
      detail: verdict.detail,
      fix: verdict.status === 'pass' ? '' : (verdict.fix ?? ''),
    };
  });
}
