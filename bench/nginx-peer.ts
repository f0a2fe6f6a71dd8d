/**
 * nginx as a peer of `bench/gateway.ts`, when it is installed: one worker, `proxy_pass` to the same
 * upstream over a keep-alive pool, the same certificate, access log to /dev/null.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The nginx binary on this machine, or null. */
export function findNginx(): string | null {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'ignore' });
      return candidate;
    } catch {}
  }
  return null;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startNginx(
  binary: string,
  options: { upstreamUrl: string; dir: string; certFile: string; keyFile: string },
): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const upstream = new URL(options.upstreamUrl);
  const conf = join(options.dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
daemon off;
pid ${join(options.dir, 'nginx.pid')};
error_log ${join(options.dir, 'nginx-error.log')} warn;
events { worker_connections 1024; }
http {
  access_log /dev/null;
  client_body_temp_path ${options.dir};
  proxy_temp_path ${options.dir};
  upstream api { server ${upstream.host}; keepalive 128; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${options.certFile};
    ssl_certificate_key ${options.keyFile};
    location / {
      proxy_pass http://api;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = spawn(binary, ['-c', conf, '-p', options.dir], { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 100; attempt++) {
    const ready = await new Promise<boolean>((resolve) => {
      const probe = createServer();
      probe.once('error', () => resolve(true));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
    });
    if (ready) return { child, url };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  child.kill();
  throw new Error('nginx did not start');
}
