import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * Serves a built single-page app from `root`: a file when the path names one, else
 * `index.html` for paths without an extension (the app routes them). Paths that leave
 * `root` answer 404; only GET and HEAD are taken.
 */
export function staticFiles(root: string) {
  const base = resolve(root);
  return async function serveStatic(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = (status: number, message: string, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      response.end(request.method === 'HEAD' ? undefined : message);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      text(405, `${request.method} is not served here`, { allow: 'GET, HEAD' });
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://local').pathname);
    } catch {
      text(400, 'malformed path');
      return;
    }
    const target = resolve(join(base, pathname));
    if (pathname.includes('\0') || (target !== base && !target.startsWith(base + sep))) {
      text(404, 'not found');
      return;
    }
    let file = target;
    if (!(await isFile(file))) {
      // An app route (`/alerts`), not a missing asset (`/assets/x.js`): the app decides.
      if (extname(pathname) !== '') {
        text(404, 'not found');
        return;
      }
      file = join(base, 'index.html');
      if (!(await isFile(file))) {
        text(503, 'The dashboard is not built: run `npm run build:dashboard`.');
        return;
      }
    }
    const hashed = file.startsWith(join(base, 'assets') + sep);
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream',
      // Built assets carry a content hash in their name; index.html must always be fetched again.
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    createReadStream(file)
      .on('error', () => response.destroy())
      .pipe(response);
  };
}
