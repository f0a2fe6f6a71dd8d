import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  extensionReadings,
  fileNameReadings,
  HAS_EXTENSION,
  HAS_WINDOWS_NAME,
  pathShape,
  windowsName,
  windowsReading,
} from './path-readings.ts';

const shape = (path: string) => pathShape(path, path.length);
const declaring =
  (...names: [number, string][]) =>
  (index: number, name: string) =>
    names.some(([i, n]) => i === index && n === name);

describe('file-name readings of a path (T5)', () => {
  it('marks a path whose last segment has a dot, or with a Windows name, and no other', () => {
    for (const path of ['/v1/items/ord_123', '/v1.0/items', '/v1/items/', '/', '/a/b%41'])
      assert.equal(shape(path) & (HAS_EXTENSION | HAS_WINDOWS_NAME), 0, path);
    for (const path of ['/v1/items/ord.pdf', '/v1/items/a.b/', '/v1/x.'])
      assert.ok(shape(path) & HAS_EXTENSION, path);
    for (const path of ['/v1/x.', '/v1/x./y', '/v1/x%20', '/v1/x%20/y', '/v1/x:y', '/v1/x%3Ay', '/v1/x%3ay'])
      assert.ok(shape(path) & HAS_WINDOWS_NAME, path);
    assert.equal(shape('/v1/x%20y') & HAS_WINDOWS_NAME, 0, 'a space inside a name stays');
    assert.equal(
      pathShape('/v1/x?.', 5) & (HAS_EXTENSION | HAS_WINDOWS_NAME),
      0,
      'the query is not looked at',
    );
  });

  it('reads a name as Windows does: cut at the first colon, trailing dots and spaces dropped', () => {
    assert.equal(windowsName('secret.'), 'secret');
    assert.equal(windowsName('secret...'), 'secret');
    assert.equal(windowsName('secret%20%20'), 'secret');
    assert.equal(windowsName('secret.%20.'), 'secret');
    assert.equal(windowsName('secret::$DATA'), 'secret');
    assert.equal(windowsName('secret:'), 'secret');
    assert.equal(windowsName('secret%3A%3A$DATA'), 'secret');
    assert.equal(windowsName('secret.:x'), 'secret');
    assert.equal(windowsName('report.v2.json'), 'report.v2.json');
    assert.equal(windowsName('...'), '');
  });

  it('reads every segment of a path so, but declared names, and refuses a segment that reads as nothing', () => {
    assert.equal(windowsReading('/v1/items/secret::$DATA'), '/v1/items/secret');
    assert.equal(windowsReading('/v1./items%20/x'), '/v1/items/x');
    const path = '/v1/items';
    assert.equal(windowsReading(path), path, 'the same string when nothing changes');
    assert.equal(windowsReading('/v1/a:b./c', declaring([1, 'a:b'])), '/v1/a:b/c');
    assert.equal(windowsReading('/v1/a:b::$DATA', declaring([1, 'a:b'])), '/v1/a:b');
    assert.equal(windowsReading('/v1/a:b', declaring([1, 'a:b'])), '/v1/a:b');
    assert.equal(windowsReading('/v1/a:b', declaring([0, 'a:b'])), '/v1/a', 'declared elsewhere');
    assert.equal(windowsReading('/v1/.../x'), null);
    assert.equal(windowsReading('/v1/..%20/x'), null);
  });

  it('cuts the extension of the last segment at its last and its first dot', () => {
    assert.deepEqual(extensionReadings('/v1/items/secret.json'), ['/v1/items/secret']);
    assert.deepEqual(extensionReadings('/v1/items/secret.tar.gz'), [
      '/v1/items/secret',
      '/v1/items/secret.tar',
    ]);
    assert.deepEqual(extensionReadings('/v1/items/a.b.c.d'), ['/v1/items/a', '/v1/items/a.b.c']);
    assert.deepEqual(extensionReadings('/v1/items/.env'), [], 'a leading dot is a name, not an extension');
    assert.deepEqual(extensionReadings('/v1/items/secret%20.json'), [
      '/v1/items/secret%20',
      '/v1/items/secret',
    ]);
    assert.deepEqual(extensionReadings('/v1.0/items/x'), [], 'only the last segment');
    assert.equal(extensionReadings('/v1/items/..json'), null);
  });

  it('keeps a declared name whole, and cuts where the rest is one', () => {
    assert.deepEqual(extensionReadings('/v1/openapi.json', declaring([1, 'openapi.json'])), []);
    assert.deepEqual(extensionReadings('/v1/openapi.json', declaring([0, 'openapi.json'])), ['/v1/openapi']);
    assert.deepEqual(extensionReadings('/v1.0.tar.gz', declaring([0, 'v1.0'])), [
      '/v1',
      '/v1.0',
      '/v1.0.tar',
    ]);
  });

  it('combines the Windows reading with the extension readings, as much as the shape asks for', () => {
    const path = '/v1/items/secret.json.';
    assert.deepEqual(fileNameReadings(path, shape(path)), ['/v1/items/secret.json', '/v1/items/secret']);
    assert.deepEqual(fileNameReadings('/v1/items/secret.json', 0), [], 'nothing the shape does not call for');
    assert.deepEqual(fileNameReadings('/v1/items/secret.json', HAS_EXTENSION), ['/v1/items/secret']);
    assert.equal(fileNameReadings('/v1/.../secret.json', HAS_WINDOWS_NAME), null);
  });
});
