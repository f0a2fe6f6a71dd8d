import { randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Credential format (K2): `<prefix>_<marker>_<body><checksum>`.
 *
 * - prefix: chosen by the operator (`GATEHOUSE_KEY_PREFIX`), lower-case letters and digits
 * - marker: what the credential is, e.g. `live` (production key), `test` (sandbox key), `admin`
 * - body: 256 random bits in base62, always 43 characters
 * - checksum: CRC-32 of everything before it in base62, 6 characters. CRC-32 detects every error
 *   confined to 32 consecutive bits, so any single changed character is rejected without a lookup,
 *   and a scanner that checks it has near-zero false positives.
 */
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;
const MARKER_PATTERN = /^[a-z]{2,10}$/;
const CREDENTIAL_PATTERN = /^([a-z][a-z0-9]{1,15})_([a-z]{2,10})_([0-9A-Za-z]{49})$/;

export interface ParsedCredential {
  prefix: string;
  marker: string;
}

export type ParseResult = { ok: true; credential: ParsedCredential } | { ok: false };

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

/** Generates a new credential string with 256 bits of randomness. */
export function generateCredential(prefix: string, marker: string): string {
  if (!isValidPrefix(prefix)) throw new Error(`invalid credential prefix "${prefix}"`);
  if (!MARKER_PATTERN.test(marker)) throw new Error(`invalid credential marker "${marker}"`);
  const head = `${prefix}_${marker}_${toBase62(randomBytes(32), BODY_LENGTH)}`;
  return head + checksumOf(head);
}

/** Checks shape and checksum only; says nothing about whether the credential exists. */
export function parseCredential(candidate: string): ParseResult {
  if (candidate.length > 80) return { ok: false };
  const match = CREDENTIAL_PATTERN.exec(candidate);
  if (!match) return { ok: false };
  const head = candidate.slice(0, -CHECKSUM_LENGTH);
  if (checksumOf(head) !== candidate.slice(-CHECKSUM_LENGTH)) return { ok: false };
  return { ok: true, credential: { prefix: match[1] as string, marker: match[2] as string } };
}

/** A short, non-secret hint for humans: prefix, marker and the first four body characters. */
export function credentialHint(credential: string): string {
  const bodyStart = credential.lastIndexOf('_') + 1;
  return `${credential.slice(0, bodyStart + 4)}…`;
}

/**
 * A global regular expression for every string shaped like a credential of any prefix, checksum
 * not checked: what log redaction replaces and what the scanner then checks.
 */
export function credentialCandidatePattern(): RegExp {
  return new RegExp(`[a-z][a-z0-9]{1,15}_[a-z]{2,10}_[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}`, 'g');
}

/** A regular expression that finds candidate credentials of this prefix in free text (for scanners). */
export function credentialSearchPattern(prefix: string): RegExp {
  return new RegExp(`\\b${prefix}_[a-z]{2,10}_[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}\\b`, 'g');
}

function checksumOf(head: string): string {
  let value = crc32(head);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = ALPHABET[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

function toBase62(bytes: Uint8Array, width: number): string {
  let value = BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
  let out = '';
  while (value > 0n) {
    out = ALPHABET[Number(value % 62n)] + out;
    value /= 62n;
  }
  return out.padStart(width, '0');
}
