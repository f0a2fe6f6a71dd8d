import { inspect } from 'node:util';

const REDACTED = '[redacted]';

/**
 * A secret value that never prints itself: string conversion, JSON and `util.inspect` all yield
 * `[redacted]`. Call `reveal()` at the one place that needs the raw value.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return `Secret(${REDACTED})`;
  }
}
