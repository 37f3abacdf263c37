import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface PageServer {
  /** `http://127.0.0.1:<port>`: an origin of its own, so every call to the runtime is cross-origin. */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Serves a test page at any path, with `script` (TypeScript, imports resolved from the
 * project root) bundled for the browser by esbuild, as an app's bundler would.
 */
export async function startPageServer(script: string): Promise<PageServer> {
  const bundle = await build({
    stdin: { contents: script, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const code = bundle.outputFiles[0]!.text;
  const server: Server = createServer((request, response) => {
    if (request.url === '/app.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' });
      response.end(code);
    } else {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><title>App</title><script src="/app.js"></script>');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
