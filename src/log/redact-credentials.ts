import { credentialCandidatePattern } from '../crypto/key-format.ts';

const CREDENTIAL_LIKE = credentialCandidatePattern();

/** Replaces anything shaped like a Gatehouse credential, so echoed input never carries one. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIAL_LIKE, '[redacted]');
}
