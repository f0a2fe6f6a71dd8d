import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { reasonOf } from '../config/startup-error.ts';

/** What the checklist needs to know of the certificate both listeners serve. */
export type CertificateFact =
  | { readonly kind: 'development' }
  | { readonly kind: 'unusable'; readonly problem: string }
  | {
      readonly kind: 'file';
      readonly subject: string;
      readonly issuer: string;
      /** Issued by itself: no client trusts it without being told to. */
      readonly selfSigned: boolean;
      /** Issued by a Gatehouse development CA (a copied development certificate). */
      readonly developmentCa: boolean;
      readonly daysLeft: number;
    };

const DAY_MS = 86_400_000;

/** Reads the configured certificate and key (null: the generated development certificate). */
export async function inspectCertificate(
  tls: { readonly certFile: string; readonly keyFile: string } | null,
  now = Date.now(),
): Promise<CertificateFact> {
  if (tls === null) return { kind: 'development' };
  try {
    const [certPem, keyPem] = await Promise.all([readFile(tls.certFile), readFile(tls.keyFile)]);
    const leaf = new X509Certificate(certPem);
    if (!leaf.checkPrivateKey(createPrivateKey(keyPem)))
      return { kind: 'unusable', problem: 'the key file does not belong to the certificate' };
    if (new Date(leaf.validFrom).getTime() > now)
      return { kind: 'unusable', problem: `the certificate is not valid before ${leaf.validFrom}` };
    return {
      kind: 'file',
      subject: leaf.subject.replaceAll('\n', ', '),
      issuer: leaf.issuer.replaceAll('\n', ', '),
      selfSigned: leaf.issuer === leaf.subject && leaf.verify(leaf.publicKey),
      developmentCa: /Gatehouse development CA/.test(leaf.issuer),
      daysLeft: Math.floor((new Date(leaf.validTo).getTime() - now) / DAY_MS),
    };
  } catch (error) {
    return { kind: 'unusable', problem: reasonOf(error) };
  }
}
