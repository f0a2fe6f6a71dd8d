const CREDENTIAL_LIKE = /[a-z][a-z0-9]{1,15}_[a-z]{2,10}_[0-9A-Za-z]{49}/g;

/** Replaces anything shaped like a Gatehouse credential, so echoed input never carries one. */
export function redactCredentials(text: string): string {
  return text.replace(CREDENTIAL_LIKE, '[redacted]');
}
