/**
 * Serves the facility console: a small static single-page app (plain ES modules, no build
 * step) and uPlot for charts, from memory, under /console/. `/` redirects there.
 * Only the files listed at start are served, so no request can reach outside the folder.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

const PUBLIC = join(dirname(fileURLToPath(import.meta.url)), 'public');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
};

interface Asset { body: Buffer; type: string }

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function loadConsoleAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(PUBLIC)) {
    const rel = relative(PUBLIC, file).split(sep).join('/');
    assets.set(`/console/${rel}`, { body: readFileSync(file), type: TYPES[extname(file)] ?? 'application/octet-stream' });
  }
  const require = createRequire(import.meta.url);
  const uplotDir = dirname(require.resolve('uplot/package.json'));
  assets.set('/console/vendor/uPlot.esm.js', { body: readFileSync(join(uplotDir, 'dist/uPlot.esm.js')), type: TYPES['.js']! });
  assets.set('/console/vendor/uPlot.min.css', { body: readFileSync(join(uplotDir, 'dist/uPlot.min.css')), type: TYPES['.css']! });
  return assets;
}

export async function consoleRoutes(app: FastifyInstance) {
  const assets = loadConsoleAssets();
  const send = (path: string) => assets.get(path === '/console/' || path === '/console' ? '/console/index.html' : path);
  app.get('/', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
  app.get('/console/*', { config: { public: true }, schema: { hide: true } }, async (req, reply) => {
    const a = send(req.url.split('?')[0]!);
    if (!a) return reply.code(404).type('text/plain').send('not found');
    return reply.type(a.type).header('cache-control', 'no-cache').send(a.body);
  });
  app.get('/console', { config: { public: true }, schema: { hide: true } }, async (_req, reply) => reply.redirect('/console/'));
}
