import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { eventually } from '../support/eventually.ts';
import { testEnvironment } from '../support/test-config.ts';

const ROOT = join(import.meta.dirname, '..', '..');

interface Started {
  readonly npm: ChildProcess;
  readonly adminPort: number;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

/** `npm start` (or another launcher) in its own process group, so the test can always clean up, once it says it started. */
async function npmStart(env: Record<string, string>, command = ['npm', 'start']): Promise<Started> {
  const [file, ...args] = command as [string, ...string[]];
  const npm = spawn(file, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  npm.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const adminUrl = await new Promise<string>((resolve, reject) => {
    npm.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const url = /"admin_url":"([^"]+)"/.exec(stdout)?.[1];
      if (url) resolve(url);
    });
    npm.once('exit', (code) => reject(new Error(`npm start exited (${code}): ${stderr}`)));
  });
  return { npm, adminPort: Number(new URL(adminUrl).port), stdout: () => stdout, stderr: () => stderr };
}

/** Whether any process of the group led by `pid` is still alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('npm start', { skip: process.platform === 'win32' }, () => {
  const groups: number[] = [];
  const dataDirs: string[] = [];
  after(() => {
    for (const pid of groups) if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  for (const signal of ['SIGTERM', 'SIGINT', 'SIGKILL'] as const) {
    it(`${signal} to npm's pid stops the server: it drains, closes its ports and leaves no process behind`, async () => {
      const { env, dataDir } = testEnvironment({ GATEHOUSE_LOG_LEVEL: 'info' });
      dataDirs.push(dataDir);
      chmodSync(dataDir, 0o755);
      const started = await npmStart({ ...env, PATH: process.env.PATH ?? '' });
      const pid = started.npm.pid as number;
      groups.push(pid);
      assert.ok(await portOpen(started.adminPort));
      assert.match(
        started.stdout(),
        /can be read by other users: run chmod 700/,
        'the data directory warning',
      );

      process.kill(pid, signal);
      await eventually(() => !groupAlive(pid), { timeoutMs: 10_000, what: 'npm and the server to exit' });
      assert.equal(await portOpen(started.adminPort), false);
      assert.match(started.stderr(), /Stopping: requests in flight may finish/);
    });
  }
});

/** A Node older than 24 (the system one on many machines), with which bin/gatehouse.js relaunches itself. */
const OLD_NODE = ['/usr/bin/node', '/usr/local/bin/node'].find((file) => {
  try {
    return Number(execFileSync(file, ['-p', 'process.versions.node.split(".")[0]']).toString()) < 24;
  } catch {
    return false;
  }
});

describe('./bin/gatehouse.js serve on an older Node', {
  skip: OLD_NODE === undefined || process.platform === 'win32' ? 'no Node older than 24 here' : false,
}, () => {
  const groups: number[] = [];
  const dataDirs: string[] = [];
  after(() => {
    for (const pid of groups) if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('SIGTERM to the launcher reaches the server it relaunched under Node 24', async () => {
    const { env, dataDir } = testEnvironment({ GATEHOUSE_LOG_LEVEL: 'info' });
    dataDirs.push(dataDir);
    const started = await npmStart({ ...env, PATH: process.env.PATH ?? '' }, [
      OLD_NODE as string,
      join(ROOT, 'bin', 'gatehouse.js'),
      'serve',
    ]);
    const pid = started.npm.pid as number;
    groups.push(pid);
    process.kill(pid, 'SIGTERM');
    await eventually(() => !groupAlive(pid), {
      timeoutMs: 10_000,
      what: 'the launcher and the server to exit',
    });
    assert.equal(await portOpen(started.adminPort), false);
    assert.match(started.stderr(), /Stopping: requests in flight may finish/);
  });
});
