import { type FieldError, invalidRequest } from '../http/api-error.ts';
import { MAX_METADATA_BYTES } from '../http/schemas.ts';
import { parseCidr } from '../net/ip-allowlist.ts';
import type { KeyInput } from './api-key.ts';

/** Checks a schema can't express: CIDR syntax, metadata size, an expiry in the future on create. */
export function assertValidKeyInput(
  input: Partial<KeyInput>,
  options: { creating: boolean; now: number },
): void {
  const errors: FieldError[] = [];
  for (const [index, cidr] of (input.allowed_ips ?? []).entries()) {
    if (!parseCidr(cidr))
      errors.push({
        field: `/allowed_ips/${index}`,
        message: 'must be an IPv4 or IPv6 address or CIDR range',
      });
  }
  if (
    input.metadata !== undefined &&
    Buffer.byteLength(JSON.stringify(input.metadata)) > MAX_METADATA_BYTES
  ) {
    errors.push({ field: '/metadata', message: `must serialize to at most ${MAX_METADATA_BYTES} bytes` });
  }
  if (options.creating && input.expires_at != null && Date.parse(input.expires_at) <= options.now) {
    errors.push({ field: '/expires_at', message: 'must be in the future' });
  }
  if (errors.length > 0) throw invalidRequest(errors);
}
