const CHECK_INTERVAL_MS = 500;

/**
 * Under `npm start` the server is npm's child (the script execs it, so npm's forwarded SIGTERM and
 * SIGINT reach it). When npm goes without passing a signal on (killed with SIGKILL, or a `sh -c`
 * left in between that swallows it: dash ignores a forwarded SIGINT and dies of SIGTERM), node
 * would run on as an orphan holding the ports. So when npm started us, a new parent process (the
 * orphan's adopter) means npm is gone: stop as on SIGTERM. Outside npm nothing is watched, so
 * `nohup gatehouse serve &` outlives its shell as it should. `parentAtStart` is read before
 * start-up, so a parent lost while starting is noticed too.
 */
export function stopWithNpm(
  stop: () => void,
  options: { readonly parentAtStart: number; readonly env?: NodeJS.ProcessEnv },
): void {
  if ((options.env ?? process.env).npm_lifecycle_event === undefined) return;
  const check = () => {
    if (process.ppid === options.parentAtStart) return;
    clearInterval(timer);
    stop();
  };
  const timer = setInterval(check, CHECK_INTERVAL_MS).unref();
  check();
}
