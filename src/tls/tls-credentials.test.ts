import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureDevelopmentCertificate } from './development-certificate.ts';

const gatehouseModule = new URL('../server/gatehouse.ts', import.meta.url).href;
const credentialsModule = new URL('./tls-credentials.ts', import.meta.url).href;

/**
 * Loads the TLS credentials in a fresh Node process that has imported the whole server, and says
 * whether the global `Reflect` was patched by reflect-metadata (which `@peculiar/x509` brings in).
 */
function reflectPatchedAfterLoading(tls: { certFile: string; keyFile: string } | null, dataDir: string) {
  const script = `
    await import(${JSON.stringify(gatehouseModule)});
    const { loadTlsCredentials } = await import(${JSON.stringify(credentialsModule)});
    const loaded = await loadTlsCredentials(${JSON.stringify({ tls, dataDir })});
    console.log(JSON.stringify({ served: loaded.cert.length > 0, patched: typeof Reflect.getMetadata === 'function' }));
  `;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return JSON.parse(output.trim().split('\n').at(-1) as string) as { served: boolean; patched: boolean };
}

describe('TLS credentials: start-up loads only what runs', () => {
  let dir: string;
  let files: { certFile: string; keyFile: string };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-tls-credentials-'));
    files = await ensureDevelopmentCertificate(join(dir, 'issued'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('serves configured certificate files without loading the certificate generator', () => {
    assert.deepEqual(reflectPatchedAfterLoading(files, join(dir, 'configured')), {
      served: true,
      patched: false,
    });
  });

  it('loads the generator (and its global Reflect patch) only for the development certificate', () => {
    assert.deepEqual(reflectPatchedAfterLoading(null, join(dir, 'development')), {
      served: true,
      patched: true,
    });
  });
});
