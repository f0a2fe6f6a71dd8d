import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createAjv } from '../http/ajv.ts';
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
