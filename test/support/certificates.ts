import { webcrypto } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
x509.cryptoProvider.set(webcrypto as never);

export interface IssuedCertificate {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
}

/**
 * A certificate for localhost and 127.0.0.1 issued by a CA made for this test (standing in for the
 * deployment's real CA), written into `dir`; `selfSigned` makes the server certificate its own issuer,
 * `validFromDays` starts its validity that many days from now.
 */
export async function issueCertificate(
  dir: string,
  options: { selfSigned?: boolean; validDays?: number; validFromDays?: number } = {},
): Promise<IssuedCertificate> {
  const start = Date.now() + (options.validFromDays ?? 0) * 86_400_000;
  const notBefore = new Date(start - 60_000);
  const notAfter = new Date(start + (options.validDays ?? 90) * 86_400_000);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, false, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Test deployment CA',
    notBefore,
    notAfter,
    signingAlgorithm: ALGORITHM,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign, true),
    ],
  });
  const serverKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']);
  const extensions = [
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
    new x509.SubjectAlternativeNameExtension([
      { type: 'dns', value: 'localhost' },
      { type: 'ip', value: '127.0.0.1' },
    ]),
  ];
  const server = options.selfSigned
    ? await x509.X509CertificateGenerator.createSelfSigned({
        name: 'CN=localhost',
        notBefore,
        notAfter,
        signingAlgorithm: ALGORITHM,
        keys: serverKeys,
        extensions,
      })
    : await x509.X509CertificateGenerator.create({
        subject: 'CN=localhost',
        issuer: ca.subject,
        notBefore,
        notAfter,
        signingAlgorithm: ALGORITHM,
        publicKey: serverKeys.publicKey,
        signingKey: caKeys.privateKey,
        extensions,
      });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', serverKeys.privateKey);
  const files = {
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server-key.pem'),
  };
  writeFileSync(files.keyFile, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY'), { mode: 0o600 });
  writeFileSync(
    files.certFile,
    `${server.toString('pem')}\n${options.selfSigned ? '' : ca.toString('pem')}\n`,
  );
  writeFileSync(files.caFile, `${(options.selfSigned ? server : ca).toString('pem')}\n`);
  return files;
}
