import { createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { BaseConfig } from '../config/config.ts';
import { reasonOf, StartupError } from '../config/startup-error.ts';

export interface TlsCredentials {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** Set when the development certificate is in use: the CA file clients should trust. */
  readonly developmentCaFile: string | null;
}

/** The certificate both listeners serve: the configured files, or the generated development pair. */
export async function loadTlsCredentials(config: BaseConfig): Promise<TlsCredentials> {
  if (config.tls) {
    const { certFile, keyFile } = config.tls;
    const cert = readSetting('GATEHOUSE_TLS_CERT_FILE', certFile);
    const key = readSetting('GATEHOUSE_TLS_KEY_FILE', keyFile);
    checkPair(cert, key, certFile, keyFile);
    return { cert, key, developmentCaFile: null };
  }
  // Imported here, not at the top: the certificate generator pulls in reflect-metadata (which patches
  // the global Reflect) and tsyringe, which a deployment with its own certificate never needs.
  const { ensureDevelopmentCertificate } = await import('./development-certificate.ts');
  const dev = await ensureDevelopmentCertificate(config.dataDir).catch((error: unknown) => {
    throw new StartupError(
      `cannot keep the development certificate in ${config.dataDir} (GATEHOUSE_DATA_DIR): ${reasonOf(error)}; set GATEHOUSE_DATA_DIR to a directory this user can write, or give GATEHOUSE_TLS_CERT_FILE and GATEHOUSE_TLS_KEY_FILE`,
      { cause: error },
    );
  });
  return { cert: readFileSync(dev.certFile), key: readFileSync(dev.keyFile), developmentCaFile: dev.caFile };
}

function readSetting(variable: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new StartupError(
      `cannot read ${file} (${variable}): ${reasonOf(error)}; point ${variable} at a file this user can read`,
      { cause: error },
    );
  }
}

/** Refuses at start what the TLS listener would otherwise reject with an OpenSSL stack trace. */
function checkPair(cert: Buffer, key: Buffer, certFile: string, keyFile: string): void {
  let certificate: X509Certificate;
  let privateKey: KeyObject;
  try {
    certificate = new X509Certificate(cert);
  } catch (error) {
    throw new StartupError(
      `${certFile} (GATEHOUSE_TLS_CERT_FILE) is not a PEM certificate; give the server certificate, then any intermediates`,
      { cause: error },
    );
  }
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    throw new StartupError(
      `${keyFile} (GATEHOUSE_TLS_KEY_FILE) is not an unencrypted PEM private key; give the certificate's key without a passphrase`,
      { cause: error },
    );
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new StartupError(
      `the key in ${keyFile} (GATEHOUSE_TLS_KEY_FILE) does not belong to the certificate in ${certFile} (GATEHOUSE_TLS_CERT_FILE); give the matching pair`,
    );
  }
}
