/**
 * A start-up failure a person can fix: one line that names the setting and what to do. `gatehouse
 * serve` prints it alone (no stack trace) and exits 1. Its `name` is an own property so it survives
 * the trip from the data path's thread, where errors arrive as plain `Error`s.
 */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    Object.defineProperty(this, 'name', { value: 'StartupError', enumerable: true });
  }
}

/** Whether `error` is a `StartupError`, also one that crossed a thread boundary. */
export function isStartupError(error: unknown): error is Error {
  return error instanceof Error && error.name === 'StartupError';
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  EROFS: 'read-only file system',
};

/** Why a system call or driver failed, in words with its code (`connection refused (ECONNREFUSED)`), or the message. */
export function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code !== '') return REASONS[code] ? `${REASONS[code]} (${code})` : code;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Why a listener could not open `host:port`, as the settings that chose them: the port is taken,
 * privileged, or the host is not an address of this machine.
 */
export function listenFailure(
  error: unknown,
  where: {
    readonly portVariable: string;
    readonly hostVariable: string;
    readonly host: string;
    readonly port: number;
  },
): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const at = `${where.host}:${where.port}`;
  if (code === 'EADDRINUSE') {
    return new StartupError(
      `${at} is already in use (${where.portVariable}): stop the process that holds it, or set ${where.portVariable} to a free port`,
      { cause: error },
    );
  }
  if (code === 'EACCES') {
    return new StartupError(
      `${at} needs privileges this process does not have (${where.portVariable}): use a port above 1023`,
      { cause: error },
    );
  }
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return new StartupError(
      `${where.host} is not an address of this machine (${where.hostVariable}): use 127.0.0.1, 0.0.0.0 or one of its addresses`,
      { cause: error },
    );
  }
  return error instanceof Error ? error : new Error(String(error));
}

/** `host:port` of a connection URL, never its user name or password. */
export function endpointOf(url: string, defaultPort: number): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname || 'localhost'}:${parsed.port || defaultPort}`;
  } catch {
    return 'the configured address';
  }
}
