import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parse } from 'yaml';
import { createAjv } from '../http/ajv.ts';
import { checkGatewayFile } from './config-file.ts';
import { gatewayFileJsonSchema } from './config-file-schema.ts';

const published = JSON.parse(
  readFileSync(new URL('../../schema/gatehouse.config.schema.json', import.meta.url), 'utf8'),
) as Record<string, unknown>;

describe('the published JSON Schema of the gateway file', () => {
  it('is the one the TypeBox schema generates (run `npm run schema` after changing it)', () => {
    assert.deepEqual(published, gatewayFileJsonSchema());
  });

  it('accepts the example file and refuses an unknown setting, as an editor would', () => {
    const validate = createAjv().compile(published);
    const example = readFileSync(new URL('../../gatehouse.config.example.yaml', import.meta.url), 'utf8');
    assert.equal(validate(parse(example)), true, JSON.stringify(validate.errors));
    assert.equal(validate({ routes: [], upstream: 'https://api' }), false);
  });
});

describe('checking a gateway file of any shape', () => {
  const sections = [
    'environments',
    'routes',
    'rate_limits',
    'limits',
    'upstream_timeouts',
    'plain_http',
    'paths',
  ];
  const route = fc.oneof(
    fc.jsonValue(),
    fc.record(
      { method: fc.jsonValue(), path: fc.jsonValue(), scopes: fc.jsonValue(), body_schema: fc.jsonValue() },
      { requiredKeys: [] },
    ),
  );
  const file = fc.oneof(
    fc.jsonValue(),
    fc.dictionary(fc.constantFrom(...sections, 'colour'), fc.jsonValue()),
    fc.record({ routes: fc.array(route, { maxLength: 4 }) }),
  );

  it('never throws, and a file the published schema refuses always has a problem', () => {
    const validate = createAjv().compile(published);
    fc.assert(
      fc.property(file, (data) => {
        const { problems } = checkGatewayFile(data, '/nowhere/gatehouse.config.json');
        if (data !== null && !validate(data)) assert.ok(problems.length > 0, JSON.stringify(data));
      }),
      { numRuns: 500 },
    );
  });
});
