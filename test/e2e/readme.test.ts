/**
 * The README is part of the product: this test pastes its walkthrough into a shell as a new user
 * would, on a fresh copy of the repository, and fails when a documented command does not work.
 *
 * What it does for the user, and nothing more:
 * - the ports come from the environment (GATEHOUSE_PORT, GATEHOUSE_ADMIN_PORT) and the README's
 *   8443, 9443, 9000 and 9100 in commands are read as those ports, so the test never collides;
 * - placeholders are filled with what earlier commands printed: the owner token (`npm start` runs
 *   in a pseudo-terminal, as on a laptop, so it prints one), the integrator's `<id>`, the key
 *   `gate_test_…`; any other placeholder fails the test;
 * - `npm start` runs in the background until a comment says to stop it (Ctrl-C); `… &` runs in the
 *   background with its output kept;
 * - a comment that shows JSON after a command is checked against the command's output, and
 *   "the receiver prints: …" is waited for in the output of the last background command.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { recordSecret } from '../support/artifacts.ts';
import {
  matchesDocumented,
  readmeBlocks,
  shellBlocksOf,
  unresolvedPlaceholders,
  walkthroughSteps,
} from '../support/readme-blocks.ts';
import { isRunning, ShellSession, signalTree } from '../support/shell-session.ts';

const REPO = join(import.meta.dirname, '..', '..');
/** The walkthrough: the sections whose `sh` blocks a new user runs in order. */
const WALKTHROUGH = ['Quick start', 'Webhooks'];
/** Commands of those sections that are not part of it: the test suite would run itself. */
const NOT_RUN = new Set(['npm test']);

describe('the README, run as written', () => {
  it('the quick start, first call through the gateway and webhooks walkthrough work on a fresh copy', async () => {
    const blocks = shellBlocksOf(readmeBlocks(readFileSync(join(REPO, 'README.md'), 'utf8')), WALKTHROUGH);
    for (const section of WALKTHROUGH)
      assert.ok(
        blocks.some((block) => block.section === section),
        `the README has no sh block under "${section}"`,
      );
    const walk = await Walkthrough.start();
    try {
      for (const block of blocks) await walk.block(block.text, block.section);
    } finally {
      walk.close();
    }
  });
});

class Walkthrough {
  readonly #dir: string;
  readonly #ports: Record<string, number>;
  readonly #shell: ShellSession;
  readonly #facts = new Map<string, string>();
  readonly #secrets: string[] = [];
  #server: { pid: number; log: string } | null = null;
  #background: { pid: number; log: string }[] = [];
  #last: { command: string; stdout: string } | null = null;

  private constructor(dir: string, ports: Record<string, number>) {
    this.#dir = dir;
    this.#ports = ports;
    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((entry) => !entry.includes('node_modules'))
      .join(delimiter);
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env))
      if (!name.startsWith('GATEHOUSE_') && !name.startsWith('npm_')) env[name] = value;
    this.#shell = new ShellSession(dir, {
      ...env,
      PATH: path,
      GATEHOUSE_PORT: String(ports['8443']),
      GATEHOUSE_ADMIN_PORT: String(ports['9443']),
      // A quicker install from the cache CI's `npm ci` just filled; the command stays as written.
      npm_config_prefer_offline: 'true',
      npm_config_audit: 'false',
      npm_config_fund: 'false',
      npm_config_update_notifier: 'false',
    });
  }

  /** A fresh copy of the repository's files (tracked and new, as a clone would have them) and free ports. */
  static async start(): Promise<Walkthrough> {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-readme-'));
    const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], {
      cwd: REPO,
      encoding: 'utf8',
    })
      .split('\0')
      .filter((file) => file !== '' && existsSync(join(REPO, file)) && lstatSync(join(REPO, file)).isFile());
    for (const file of files) {
      mkdirSync(dirname(join(dir, file)), { recursive: true });
      cpSync(join(REPO, file), join(dir, file));
    }
    const ports: Record<string, number> = {};
    for (const documented of ['8443', '9443', '9000', '9100']) ports[documented] = await freePort();
    return new Walkthrough(dir, ports);
  }

  async block(text: string, section: string): Promise<void> {
    for (const step of walkthroughSteps(text)) {
      if (step.kind === 'comment') await this.#comment(step.text);
      else if (!NOT_RUN.has(step.text.trim())) await this.#command(step.text, section);
    }
  }

  async #comment(text: string): Promise<void> {
    if (/Ctrl-C/.test(text)) return this.#stopServer();
    const receiver = /^the receiver prints: (.*)$/.exec(text);
    if (receiver) return this.#awaitBackgroundOutput(this.#fill(receiver[1] as string));
    const last = this.#last;
    if (last === null || !/^[[{]/.test(text)) return;
    this.#last = null;
    const documented = JSON.parse(this.#fill(text)) as unknown;
    const actual = parseJson(last.stdout);
    assert.ok(
      matchesDocumented(actual, documented),
      `\`${this.#redact(last.command)}\` printed ${this.#redact(last.stdout)}, the README shows ${text}`,
    );
  }

  async #command(written: string, section: string): Promise<void> {
    const command = this.#withTestPorts(this.#fill(written));
    const left = unresolvedPlaceholders(command);
    assert.deepEqual(left, [], `${section}: no earlier step tells what to put for ${left.join(', ')}`);
    if (/(^|\s)npm start$/.test(command)) return this.#startServer(command);
    if (/&\s*$/.test(command)) {
      const log = join(this.#dir, `.background-${this.#background.length}.log`);
      const result = await this.#shell.run(`${command.replace(/&\s*$/, '')} > ${log} 2>&1 & echo $!`);
      this.#background.push({ pid: Number(result.stdout.trim()), log });
      return;
    }
    const result = await this.#shell.run(command, 180_000);
    assert.equal(
      result.code,
      0,
      `${section}: \`${this.#redact(command)}\` exited ${result.code}\n${this.#redact(result.stdout)}\n${this.#redact(result.stderr)}`,
    );
    this.#last = { command, stdout: result.stdout };
    this.#learn(command, result.stdout);
  }

  /** Remembers what later placeholders stand for: the integrator created, the key issued. */
  #learn(command: string, stdout: string): void {
    const json = parseJson(stdout) as Record<string, unknown> | null;
    if (json === null || typeof json !== 'object') return;
    if (/\/admin\/v1\/integrators\b/.test(command) && typeof json.id === 'string')
      this.#facts.set('<id>', json.id);
    if (typeof json.key === 'string' && json.key.startsWith('gate_test_'))
      this.#facts.set('gate_test_…', this.#secret(json.key));
  }

  async #startServer(command: string): Promise<void> {
    assert.equal(
      this.#server,
      null,
      `\`${command}\` while Gatehouse still runs: the README must stop it first`,
    );
    const log = join(this.#dir, `.server-${Date.now()}.log`);
    // In a pseudo-terminal, as on a laptop: that is where Gatehouse shows a generated owner token.
    const quoted = `'${command.replaceAll("'", `'\\''`)}'`;
    const started = await this.#shell.run(`setsid script -qfec ${quoted} /dev/null > ${log} 2>&1 & echo $!`);
    const server = { pid: Number(started.stdout.trim()), log };
    this.#server = server;
    const deadline = Date.now() + 90_000;
    for (;;) {
      const output = existsSync(log) ? readFileSync(log, 'utf8') : '';
      if (output.includes('Gatehouse is running')) {
        const token = /Owner admin token[^\n]*\n\s*(\S+)/.exec(output)?.[1];
        if (token !== undefined)
          this.#facts.set('<the owner token printed at first start>', this.#secret(token));
        return;
      }
      assert.ok(
        isRunning(server.pid) && Date.now() < deadline,
        `\`${command}\` did not start Gatehouse:\n${this.#redact(output)}`,
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async #stopServer(): Promise<void> {
    const server = this.#server;
    if (server === null) return;
    this.#server = null;
    signalTree(server.pid, 'SIGINT');
    const deadline = Date.now() + 20_000;
    while (isRunning(server.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.ok(!isRunning(server.pid), 'Gatehouse did not stop on Ctrl-C');
  }

  async #awaitBackgroundOutput(documented: string): Promise<void> {
    const job = this.#background.at(-1);
    assert.ok(job, 'the README says what a receiver prints but started none');
    const expected = JSON.parse(documented) as unknown;
    const deadline = Date.now() + 30_000;
    let output = '';
    while (Date.now() < deadline) {
      output = existsSync(job.log) ? readFileSync(job.log, 'utf8') : '';
      if (output.split('\n').some((line) => matchesDocumented(parseJson(line), expected))) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`the receiver printed ${JSON.stringify(output)}, the README shows ${documented}`);
  }

  #fill(text: string): string {
    let filled = text;
    for (const [placeholder, value] of this.#facts) filled = filled.replaceAll(placeholder, value);
    return filled;
  }

  #withTestPorts(command: string): string {
    return command.replace(/\b(8443|9443|9000|9100)\b/g, (port) => String(this.#ports[port]));
  }

  #secret(value: string): string {
    this.#secrets.push(recordSecret(value));
    return value;
  }

  /** What a failure message may show: never a secret this walkthrough was given. */
  #redact(text: string): string {
    let safe = text;
    for (const secret of this.#secrets) safe = safe.replaceAll(secret, '[secret]');
    return safe;
  }

  close(): void {
    if (this.#server) signalTree(this.#server.pid, 'SIGKILL');
    for (const job of this.#background) signalTree(job.pid, 'SIGKILL');
    this.#shell.close();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text.trim());
  } catch {
    return null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
