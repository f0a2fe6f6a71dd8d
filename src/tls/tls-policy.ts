import type { TlsOptions } from 'node:tls';

/**
 * Mozilla's "intermediate" server configuration (v5.7): TLS 1.2 and 1.3, and on TLS 1.2 only
 * forward-secret AEAD suites (no CBC, whose MAC-then-encrypt gave Lucky13 and POODLE). The TLS 1.3
 * suites are named too: a list without any would make Node turn TLS 1.3 off.
 */
const INTERMEDIATE_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'DHE-RSA-AES128-GCM-SHA256',
  'DHE-RSA-AES256-GCM-SHA384',
  'DHE-RSA-CHACHA20-POLY1305',
].join(':');

/** How long a TLS port waits for a connection to finish its handshake (both listeners). */
export const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** The protocol versions and suites both TLS listeners (data path, admin API) accept (T1). */
export const TLS_SERVER_POLICY: Readonly<TlsOptions> = Object.freeze({
  minVersion: 'TLSv1.2',
  ciphers: INTERMEDIATE_CIPHERS,
  honorCipherOrder: false,
});
