import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';
import { ensurePrivateDir, restrictFile, writePrivateFile } from '../config/private-files.ts';

export interface DevelopmentCertificate {
  /** PEM files: the CA clients should trust, the server certificate chain and its private key. */
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const RENEW_BEFORE_MS = 7 * 24 * 3600 * 1000;
const VALIDITY_MS = 365 * 24 * 3600 * 1000;

x509.cryptoProvider.set(webcrypto as never);

/**
 * Makes sure `<dataDir>/tls` holds a development CA and a server certificate for localhost,
 * 127.0.0.1, ::1 and this host's name, creating them when missing or about to expire. The CA's
 * private key is discarded after signing, so nothing else can ever be issued under it. Clients
 * (and tests) trust `ca.pem`; nobody needs to turn certificate validation off.
 */
export async function ensureDevelopmentCertificate(dataDir: string): Promise<DevelopmentCertificate> {
  const dir = join(dataDir, 'tls');
  const files = {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server-key.pem'),
  };
  if (stillValid(files)) {
    restrictFile(files.keyFile);
    return files;
  }

  ensurePrivateDir(dir);
  const notBefore = new Date(Date.now() - 60_000);
  const notAfter = new Date(Date.now() + VALIDITY_MS);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Gatehouse development CA',
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const server = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    publicKey: serverKeys.publicKey,
    signingKey: caKeys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        { type: 'dns', value: 'localhost' },
        { type: 'dns', value: hostname() },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'ip', value: '::1' },
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  writePrivateFile(files.keyFile, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'));
  writePrivateFile(files.certFile, `${server.toString('pem')}\n${ca.toString('pem')}\n`);
  writePrivateFile(files.caFile, `${ca.toString('pem')}\n`);
  return files;
}

/** The certificate is far from expiry and the key beside it is its own (a crash mid-renewal leaves neither). */
function stillValid(files: { certFile: string; keyFile: string }): boolean {
  if (!existsSync(files.certFile) || !existsSync(files.keyFile)) return false;
  try {
    const cert = new X509Certificate(readFileSync(files.certFile));
    if (!cert.checkPrivateKey(createPrivateKey(readFileSync(files.keyFile)))) return false;
    return new Date(cert.validTo).getTime() - Date.now() > RENEW_BEFORE_MS;
  } catch {
    return false;
  }
}
