import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * One bash process that commands are typed into one after another, as in a person's terminal:
 * `export`s, variables and arrays set by one command are there for the next. Each command's output
 * is delimited by a marker line carrying its exit status.
 */
export class ShellSession {
  readonly #shell: ChildProcessWithoutNullStreams;
  #stdout = '';
  #stderr = '';
  #exited = false;
  #counter = 0;

  constructor(cwd: string, env: NodeJS.ProcessEnv) {
    this.#shell = spawn('bash', ['--noprofile', '--norc'], { cwd, env, stdio: 'pipe' });
    this.#shell.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stdout += chunk;
    });
    this.#shell.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.#stderr += chunk;
    });
    this.#shell.on('exit', () => {
      this.#exited = true;
    });
  }

  /** Runs one command; resolves with its exit status and output, or rejects after `timeoutMs`. */
  async run(command: string, timeoutMs = 60_000): Promise<CommandResult> {
    const marker = `@@done-${process.pid}-${++this.#counter}@@`;
    this.#stdout = '';
    this.#stderr = '';
    this.#shell.stdin.write(
      `${command}\n__status=$?; printf '\\n${marker}%s\\n' "$__status"; printf '\\n${marker}\\n' >&2\n`,
    );
    const deadline = Date.now() + timeoutMs;
    const done = new RegExp(`\\n${marker}(\\d+)\\n`);
    while (Date.now() < deadline) {
      const finished = done.exec(this.#stdout);
      if (finished && this.#stderr.includes(`\n${marker}\n`)) {
        return {
          code: Number(finished[1]),
          stdout: this.#stdout.slice(0, finished.index),
          stderr: this.#stderr.slice(0, this.#stderr.indexOf(`\n${marker}\n`)),
        };
      }
      if (this.#exited) throw new Error('the shell exited');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`the command did not finish within ${timeoutMs / 1000} s`);
  }

  close(): void {
    if (!this.#exited) this.#shell.stdin.end('exit\n');
  }
}

/** Sends `signal` to a process and everything it started (a shell job leaves children behind). */
export function signalTree(pid: number, signal: NodeJS.Signals): void {
  for (const child of childrenOf(pid)) signalTree(child, signal);
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

function childrenOf(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((child) => child > 0);
  } catch {
    return [];
  }
}

/** Whether a process still runs. */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
