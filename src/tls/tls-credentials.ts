import { readFileSync } from 'node:fs';
import type { Config } from '../config/config.ts';
import { ensureDevelopmentCertificate } from './development-certificate.ts';

export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set when the development certificate is in use: the CA file clients should trust. */
  readonly developmentCaFile: string | null;
}

/** The certificate both listeners serve: the configured files, or the generated development pair. */
export async function loadTlsCredentials(config: Config): Promise<TlsCredentials> {
  if (config.tls) {
    return {
      cert: readFileSync(config.tls.certFile),
      key: readFileSync(config.tls.keyFile),
      developmentCaFile: null,
    };
  }
  const dev = await ensureDevelopmentCertificate(config.dataDir);
  return { cert: readFileSync(dev.certFile), key: readFileSync(dev.keyFile), developmentCaFile: dev.caFile };
}
