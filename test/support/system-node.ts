import { execFileSync } from 'node:child_process';

/**
 * The system's Node 20 (the integrator's runtime CI tests the client package on): the first `node`
 * on PATH outside node_modules whose major version is 20, or undefined.
 */
export function systemNode20(): { node: string; npm: string } | undefined {
  let found: string[];
  try {
    found = execFileSync('which', ['-a', 'node'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  } catch {
    return undefined;
  }
  for (const node of [...found, '/usr/bin/node', '/usr/local/bin/node']) {
    if (node.includes('node_modules')) continue;
    try {
      const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
      if (version.startsWith('v20.')) return { node, npm: node.replace(/node$/, 'npm') };
    } catch {}
  }
  return undefined;
}

/** Skips with a message locally, fails loudly in CI, when the system Node 20 is missing. */
export function requireSystemNode20(t: {
  skip(message: string): void;
}): { node: string; npm: string } | undefined {
  const found = systemNode20();
  if (found) return found;
  if (process.env.CI) throw new Error('CI needs the system Node 20 (`node` on PATH outside node_modules)');
  t.skip('no system Node 20 on PATH');
  return undefined;
}
