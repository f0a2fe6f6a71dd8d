import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { createSecureContext, getCACertificates } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import {
  type AddressClass,
  addressAllowed,
  allowPrivateHint,
  classifyAddress,
  describeClass,
} from './address-policy.ts';
import { type ResolveAll, resolveAll } from './endpoint-url.ts';

/** A connection refused because the receiver's address is not one deliveries may reach (W5). */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_BLOCKED_ADDRESS';

  constructor(kind: AddressClass) {
    const hint = allowPrivateHint(kind);
    super(`the receiver's host resolves to ${describeClass(kind)}${hint === '' ? '' : `; ${hint}`}`);
    this.name = 'BlockedAddressError';
  }
}

export interface DeliveryAgentOptions {
  readonly allowPrivate: boolean;
  /** PEM certificates to trust besides the default roots (an internal CA, a test CA). */
  readonly extraCa: string | null;
  readonly connectTimeoutMs: number;
  /** Injected by tests; the system resolver otherwise. */
  readonly resolve?: ResolveAll;
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The HTTP client every delivery goes through. Each new connection resolves the host itself, refuses
 * it if any address is private, loopback, link-local or metadata, and then connects to an address it
 * just checked: DNS rebinding between a check and the connection is impossible because there is no
 * second lookup. Hosts that are IP literals are checked before connecting. Certificates are always
 * validated; redirects are never followed.
 */
export function createDeliveryAgent(options: DeliveryAgentOptions): Agent {
  const resolve = options.resolve ?? resolveAll;
  const guardedLookup = (
    hostname: string,
    lookupOptions: { all?: boolean; family?: number | string },
    callback: LookupCallback,
  ) => {
    resolve(hostname).then(
      (addresses) => {
        const blocked = addresses.find((address) => !addressAllowed(address, options.allowPrivate));
        if (blocked !== undefined) {
          callback(new BlockedAddressError(classifyAddress(blocked)), []);
          return;
        }
        const family = familyNumber(lookupOptions.family);
        const usable = addresses
          .map((address) => ({ address, family: isIP(address) }))
          .filter((entry) => family === 0 || entry.family === family);
        const first = usable[0];
        if (!first) {
          callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), []);
        } else if (lookupOptions.all) {
          callback(null, usable);
        } else {
          callback(null, first.address, first.family);
        }
      },
      (error: Error) => callback(error, []),
    );
  };

  // One secure context for every connection: building one from a CA bundle costs milliseconds.
  const secureContext = createSecureContext(
    options.extraCa === null ? {} : { ca: [...getCACertificates('default'), options.extraCa] },
  );
  const connector = buildConnector({
    secureContext,
    timeout: options.connectTimeoutMs,
    lookup: guardedLookup as never,
  });

  return new Agent({
    connect(connectOptions, callback) {
      const host = connectOptions.hostname;
      if (isIP(host) !== 0 && !addressAllowed(host, options.allowPrivate)) {
        callback(new BlockedAddressError(classifyAddress(host)), null);
        return;
      }
      connector(connectOptions, callback);
    },
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
  });
}

function familyNumber(family: number | string | undefined): number {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return 0;
}
