// Control characters (C0, DEL, C1: what a terminal reads as escapes) and bidirectional overrides.
const UNPRINTABLE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu;

/**
 * Text someone else chose (a credential's name, an event's source) made safe to print on a
 * terminal: every control character becomes `?`, so no stored value can move the cursor, recolour
 * or reorder what follows it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, '?');
}
