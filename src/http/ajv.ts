import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';

/** How a validator treats the data it checks; everything else is the same for every Ajv in Gatehouse. */
export interface AjvSettings {
  /** Fill in `default` values (admin bodies and queries); never for bytes passed on to an upstream. */
  readonly useDefaults?: boolean;
  /** `'array'` for query strings and path parameters, which arrive as text. */
  readonly coerceTypes?: false | 'array';
  /** Keep the failing value and schema on each error (the gateway file's messages need them). */
  readonly verbose?: boolean;
}

/**
 * The one place an Ajv instance is built: all errors at once, standard formats, unknown keywords
 * allowed (user schemas carry `errorMessage`, `x-…` annotations), schemas themselves validated.
 *
 * @example
 * const validate = createAjv({ coerceTypes: 'array' }).compile(querySchema);
 */
export function createAjv(settings: AjvSettings = {}): Ajv {
  const options: Options = {
    allErrors: true,
    strict: false,
    validateSchema: true,
    removeAdditional: false,
    useDefaults: settings.useDefaults ?? false,
    coerceTypes: settings.coerceTypes ?? false,
    verbose: settings.verbose ?? false,
  };
  return addFormats.default(new Ajv(options));
}
