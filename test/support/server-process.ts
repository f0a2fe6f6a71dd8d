import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { logFile } from './artifacts.ts';

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly adminUrl: string;
  readonly dataUrl: string;
  readonly exited: Promise<number | null>;
}

/** Runs `gatehouse serve` as its own process (so it can be killed), logging into the run's artifacts. */
export async function spawnServer(env: Record<string, string>, name: string): Promise<ServerProcess> {
  const log = logFile(name);
  const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr?.pipe(log, { end: false });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const { admin_url: adminUrl, data_url: dataUrl } = await new Promise<{
    admin_url: string;
    data_url: string;
  }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      log.write(`${line}\n`);
      if (line.includes('"gatehouse started"')) resolve(JSON.parse(line));
    });
    void exited.then((code) => reject(new Error(`gatehouse exited with ${code} before it started`)));
  });
  return { child, adminUrl, dataUrl, exited };
}
