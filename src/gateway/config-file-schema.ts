import { type TSchema, Type } from 'typebox';

/**
 * The shape of the gateway file as a TypeBox schema: the structural checks (types, ranges, known
 * keys), published as `schema/gatehouse.config.schema.json` for editors. `errorMessage` (a string, or
 * one per Ajv keyword) and `requiredMessage` are the texts our problems use; checks that need code
 * (URLs, path patterns, body schemas, settings that must agree) are in `config-file.ts`.
 *
 * To add a section: add it to `GATEWAY_FILE_SCHEMA`'s properties and to `CHECK_ORDER` in `config-file.ts`,
 * read its values in `checkGatewayFile`, then run `npm run schema`.
 */

/** RFC 9110 §9 and PATCH (RFC 5789). */
export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'];
const NOT_A_METHOD = `{value} is not an HTTP method (${HTTP_METHODS.join(', ')}, or "*" for any)`;
const PATH_REQUIRED = 'is required (a path pattern such as /v1/orders/{id})';

const integer = (minimum: number, maximum: number, description: string) =>
  Type.Integer({
    minimum,
    maximum,
    description,
    errorMessage: `must be an integer from ${minimum} to ${maximum}`,
  });
const flag = (description: string) =>
  Type.Optional(Type.Boolean({ description, errorMessage: 'must be true or false' }));
const cap = (description: string) =>
  Type.Optional(
    Type.Union([Type.Integer({ minimum: 1, maximum: 1e6 }), Type.Null()], {
      description,
      errorMessage: 'must be an integer from 1 to 1000000, or null for no cap',
    }),
  );
const section = <T extends Record<string, TSchema>>(properties: T, description: string) =>
  Type.Optional(Type.Object(properties, { additionalProperties: false, description }));

const environment = (name: string) =>
  section(
    {
      upstream: Type.Optional(
        Type.Union([Type.String(), Type.Null()], {
          description: `Base URL of the ${name} upstream (http:// or https://, no credentials, query or fragment).`,
          errorMessage: 'must be a URL string',
        }),
      ),
      hosts: Type.Optional(
        Type.Array(
          Type.String({
            pattern: '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$',
            errorMessage: { pattern: 'must be a lower-case host name without port' },
          }),
          {
            description: `Host names that serve only ${name}: a key of the other environment is refused there.`,
          },
        ),
      ),
    },
    `The ${name} environment.`,
  );

const route = Type.Object(
  {
    method: Type.Union(
      [
        Type.String({ description: 'One method, or "*" for any.' }),
        Type.Array(Type.String({ errorMessage: NOT_A_METHOD }), {
          errorMessage: { minItems: 'must name at least one method (or be "*")' },
          minItems: 1,
        }),
      ],
      {
        description: `A method (${HTTP_METHODS.join(', ')}, any letter case), a list of them, or "*".`,
        errorMessage: NOT_A_METHOD,
        requiredMessage: 'is required (a method, a list of methods, or "*")',
      },
    ),
    path: Type.String({
      description: 'A path pattern: /v1/orders/{id} matches one segment, /v1/files/** the rest.',
      errorMessage: PATH_REQUIRED,
      requiredMessage: PATH_REQUIRED,
    }),
    scopes: Type.Array(
      Type.String({
        pattern: '^[A-Za-z0-9_.:\\-/*]{1,100}$',
        errorMessage: { pattern: 'must be 1-100 characters of letters, digits and _ . : - / *' },
      }),
      {
        description: 'Scopes a caller needs, all of them ([] for any valid credential).',
        requiredMessage: 'is required: list the scopes a caller needs ([] for any valid credential)',
      },
    ),
    max_body_bytes: Type.Optional(integer(0, 2 ** 40, 'Largest request body of this route, in bytes.')),
    body_schema: Type.Optional(
      Type.Union([Type.String(), Type.Object({})], {
        description:
          'A JSON Schema the body must match: inline, or the path of a .json file beside this file.',
        errorMessage: 'must be a JSON Schema object (inline, or the path of a .json file)',
      }),
    ),
    allow_path_parameters: flag('Let ";" path parameters through to the upstream (default false).'),
  },
  { additionalProperties: false, description: 'One route: requests matching no route are refused.' },
);

const rateLimit = (who: string) =>
  Type.Optional(
    Type.Union(
      [
        Type.Null(),
        Type.Literal(false),
        Type.Object(
          {
            requests_per_second: Type.Number({
              exclusiveMinimum: 0,
              maximum: 1e6,
              errorMessage: 'must be a number above 0 and at most 1000000',
              requiredMessage: 'must be a number above 0 and at most 1000000',
            }),
            burst: Type.Integer({
              minimum: 1,
              maximum: 1e6,
              errorMessage: 'must be an integer from 1 to 1000000',
              requiredMessage: 'is required (an integer from 1 to 1000000)',
            }),
          },
          { additionalProperties: false },
        ),
      ],
      { description: `Token bucket per ${who}; null or false for none.`, errorMessage: 'must be an object' },
    ),
  );

/** The whole gateway file. Every section is optional; a missing setting takes its default. */
export const GATEWAY_FILE_SCHEMA = Type.Object(
  {
    $schema: Type.Optional(Type.String({ description: 'The JSON Schema of this file, for editors.' })),
    environments: section(
      { production: environment('production'), sandbox: environment('sandbox') },
      'Upstreams and host names per environment.',
    ),
    routes: Type.Optional(
      Type.Array(route, { description: 'What the gateway lets through (deny by default).' }),
    ),
    rate_limits: section(
      { per_credential: rateLimit('credential'), per_ip: rateLimit('client address') },
      'Request rates.',
    ),
    limits: section(
      {
        max_body_bytes: Type.Optional(integer(0, 2 ** 40, 'Largest request body, in bytes.')),
        max_header_bytes: Type.Optional(integer(1024, 1024 * 1024, 'Largest request head, in bytes.')),
        max_headers: Type.Optional(integer(8, 1000, 'Most request headers.')),
        headers_timeout_ms: Type.Optional(integer(100, 600_000, 'Time to receive the request head.')),
        request_timeout_ms: Type.Optional(integer(100, 3_600_000, 'Time to receive the whole request.')),
        keep_alive_timeout_ms: Type.Optional(integer(0, 600_000, 'Idle time before a connection closes.')),
        max_in_flight_per_credential: cap('Requests of one credential in flight at once (null: no cap).'),
        max_in_flight_per_ip: cap('Requests of one client address in flight at once (null: no cap).'),
        buffered_body_bytes: Type.Optional(
          integer(
            0,
            16 * 1024 * 1024,
            'Bodies up to this size are read whole before the upstream is called.',
          ),
        ),
      },
      'Limits on what a client may send.',
    ),
    upstream_timeouts: section(
      {
        connect_ms: Type.Optional(integer(100, 600_000, 'Time to connect to the upstream.')),
        headers_ms: Type.Optional(integer(100, 3_600_000, 'Time until the upstream answers with headers.')),
        body_ms: Type.Optional(integer(100, 3_600_000, 'Time allowed between body chunks of the upstream.')),
      },
      'Timeouts towards the upstream.',
    ),
    plain_http: section(
      { revoke_exposed_credentials: flag('Revoke a credential sent over plain HTTP (default false).') },
      'The plain-HTTP listener.',
    ),
    paths: section(
      { case_sensitive: flag('The upstreams tell /a from /A (default false).') },
      'How request paths are matched.',
    ),
    monitoring: section(
      {
        usage: section(
          {
            flush_interval_ms: Type.Optional(
              integer(
                100,
                60_000,
                'How often usage records are written (default 5000): what a crash can lose. A batch that took more than 2.5% of this waits longer, up to 60000.',
              ),
            ),
          },
          'Usage records per credential and minute.',
        ),
        detectors: section(
          {
            new_ip: section(
              {
                enabled: flag('Alert when a credential is used from a new address (default true).'),
                learning_period_ms: Type.Optional(
                  integer(
                    0,
                    90 * 86_400_000,
                    'Addresses seen this long after first use are learnt (default 86400000).',
                  ),
                ),
              },
              'The new_ip rule.',
            ),
            volume_spike: section(
              {
                enabled: flag("Alert on a minute far above the credential's baseline (default true)."),
                factor: Type.Optional(
                  Type.Number({
                    minimum: 1.5,
                    maximum: 1000,
                    description: 'How many times the baseline a minute must reach (default 10).',
                    errorMessage: 'must be a number from 1.5 to 1000',
                  }),
                ),
                min_requests: Type.Optional(
                  integer(1, 1e9, 'Fewer requests in the minute never alert (default 100).'),
                ),
                baseline_minutes: Type.Optional(
                  integer(1, 1440, 'The baseline is the mean of this many minutes (default 60).'),
                ),
              },
              'The volume_spike rule.',
            ),
            error_rate: section(
              {
                enabled: flag("Alert when many of a credential's requests fail (default true)."),
                threshold: Type.Optional(
                  Type.Number({
                    exclusiveMinimum: 0,
                    maximum: 1,
                    description: 'The share of 4xx and 5xx answers that alerts (default 0.5).',
                    errorMessage: 'must be a number above 0 and at most 1',
                  }),
                ),
                min_requests: Type.Optional(
                  integer(1, 1e9, 'Fewer requests in the window never alert (default 20).'),
                ),
                window_minutes: Type.Optional(integer(1, 1440, 'The window, in minutes (default 5).')),
              },
              'The error_rate rule.',
            ),
          },
          'The usage detectors (the other rules are set with GATEHOUSE_ALERT_* variables).',
        ),
      },
      'Usage records and the detectors that read them.',
    ),
  },
  {
    additionalProperties: false,
    title: 'Gatehouse gateway file (gatehouse.config.yaml / .json)',
    description: 'Routes, upstreams and limits of the Gatehouse gateway. Never holds a secret.',
  },
);

/** The JSON Schema document published in `schema/gatehouse.config.schema.json`. */
export function gatewayFileJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...JSON.parse(JSON.stringify(GATEWAY_FILE_SCHEMA)),
  };
}
