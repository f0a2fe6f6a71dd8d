#!/usr/bin/env node
// Gatehouse runs on Node 24 (TypeScript type stripping, node:sqlite). When the node on PATH is older,
// re-run this command with the Node 24 that `npm install` put in node_modules.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'src', 'cli', 'main.ts');
const major = Number(process.versions.node.split('.')[0]);

if (major >= 24) {
  await import(main);
} else {
  const bundled = join(root, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bundled)) {
    process.stderr.write('gatehouse needs Node.js 24: run `npm install` in the Gatehouse directory first\n');
    process.exit(1);
  }
  // Signals sent to this process (kill <pid>, a process manager) are passed on, so the server
  // stops with it instead of running on as an orphan; this process then exits the way it did.
  const child = spawn(bundled, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  child.on('error', (error) => {
    process.stderr.write(`gatehouse: cannot run ${bundled}: ${error.message}\n`);
    process.exit(1);
  });
  const forward = (signal) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward);
  child.on('exit', (code, signal) => {
    if (signal === null) process.exit(code ?? 1);
    for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.off(name, forward);
    process.kill(process.pid, signal);
  });
}
