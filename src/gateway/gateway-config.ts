import type { EnvReader } from '../config/env-reader.ts';
import type { Environment } from '../environments/environment.ts';
import { parseCidr } from '../net/ip-allowlist.ts';
import {
  DEFAULT_GATEWAY_FILE,
  type EnvironmentRule,
  findGatewayFile,
  type GatewayFile,
  loadGatewayFile,
} from './config-file.ts';
import { normalizeUpstreamUrl, upstreamUrlProblem } from './config-file-checker.ts';

/** The data path's configuration: the gateway file, with the environment variables applied over it. */
export interface GatewayConfig extends GatewayFile {
  /** The file that was read, or null when none exists (then nothing is routed: deny by default). */
  readonly configFile: string | null;
  /** Port of the plain-HTTP refusal listener (T1); null when it is not opened. */
  readonly httpPort: number | null;
  /** CIDRs of TLS-terminating proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. */
  readonly trustedProxies: readonly string[];
}

const UPSTREAM_VARIABLES: Readonly<Record<Environment, string>> = {
  production: 'GATEHOUSE_UPSTREAM_PRODUCTION',
  sandbox: 'GATEHOUSE_UPSTREAM_SANDBOX',
};

/**
 * Reads `GATEHOUSE_CONFIG_FILE` (or `./gatehouse.config.{json,yaml,yml}`), `GATEHOUSE_UPSTREAM_*`,
 * `GATEHOUSE_HTTP_PORT` and `GATEHOUSE_TRUSTED_PROXIES`. Problems go to the reader, so one failed
 * start lists them all. An upstream variable wins over the file's `environments.<name>.upstream`.
 */
export function readGatewayConfig(read: EnvReader, cwd: string): GatewayConfig {
  const configFile = findGatewayFile(read.optionalString('GATEHOUSE_CONFIG_FILE'), cwd);
  let file = DEFAULT_GATEWAY_FILE;
  if (configFile !== null) {
    const loaded = loadGatewayFile(configFile);
    for (const problem of loaded.problems) read.problem(`GATEHOUSE_CONFIG_FILE: ${problem}`);
    file = loaded.value;
  }

  const environments = {} as Record<Environment, EnvironmentRule>;
  for (const name of ['production', 'sandbox'] as const) {
    const variable = UPSTREAM_VARIABLES[name];
    const fromEnv = read.optionalString(variable);
    let upstream = file.environments[name].upstream;
    if (fromEnv !== undefined) {
      const problem = upstreamUrlProblem(fromEnv);
      if (problem === null) upstream = normalizeUpstreamUrl(fromEnv);
      else read.problem(`${variable} ${problem} (e.g. http://127.0.0.1:9000)`);
    }
    environments[name] = Object.freeze({ upstream, hosts: file.environments[name].hosts });
  }

  const httpPortText = read.optionalString('GATEHOUSE_HTTP_PORT');
  const httpPort = httpPortText === undefined ? null : read.integer('GATEHOUSE_HTTP_PORT', 0, 0, 65535);

  const trustedProxies = (read.optionalString('GATEHOUSE_TRUSTED_PROXIES') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of trustedProxies) {
    if (parseCidr(entry) === undefined)
      read.problem(
        `GATEHOUSE_TRUSTED_PROXIES: "${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8,::1)`,
      );
  }

  return Object.freeze({
    ...file,
    environments: Object.freeze(environments),
    configFile,
    httpPort,
    trustedProxies: Object.freeze(trustedProxies),
  });
}
