/**
 * The route table of server/README.md, generated from the served OpenAPI document so the docs
 * cannot drift (test/server-ops/readme.test.ts compares them). Run: `npx tsx server/routes/openapi-table.ts`.
 */
import { fileURLToPath } from 'node:url';

interface OpenApiDoc { paths: Record<string, Record<string, { summary?: string; description?: string; tags?: string[] }>> }

export function routeTable(doc: OpenApiDoc): string {
  const rows: string[] = ['| method | path | role | what |', '|---|---|---|---|'];
  const paths = Object.keys(doc.paths).sort();
  for (const p of paths) {
    for (const [m, op] of Object.entries(doc.paths[p]!).sort(([a], [b]) => a.localeCompare(b))) {
      const role = /^Role: ([^.]*)\./.exec(op.description ?? '')?.[1] ?? '';
      rows.push(`| ${m.toUpperCase()} | \`${p}\` | ${role} | ${(op.summary ?? '').replace(/\|/g, '\\|')} |`);
    }
  }
  return rows.join('\n');
}

interface SchemaNode { type?: string; properties?: Record<string, SchemaNode>; items?: SchemaNode; anyOf?: SchemaNode[]; const?: unknown; description?: string; minimum?: number; maximum?: number; pattern?: string; required?: string[] }

function typeOf(n: SchemaNode): string {
  if (n.anyOf) return n.anyOf.map(typeOf).join(' \\| ');
  if (n.const !== undefined) return JSON.stringify(n.const);
  if (n.type === 'array') return `${n.items ? typeOf(n.items) : 'any'}[]`;
  const range = n.minimum !== undefined || n.maximum !== undefined ? ` ${n.minimum ?? ''}..${n.maximum ?? ''}` : '';
  return `${n.type ?? 'any'}${range}`;
}

/** Every key of the server config schema, with its type and description (README "Configuration"). */
export function configTable(schema: SchemaNode): string {
  const rows: string[] = ['| key | type | required | meaning |', '|---|---|---|---|'];
  const walk = (n: SchemaNode, prefix: string) => {
    for (const [k, v] of Object.entries(n.properties ?? {})) {
      const path = prefix ? `${prefix}.${k}` : k;
      const obj = v.type === 'object' && v.properties ? v : v.type === 'array' && v.items?.type === 'object' ? v.items : null;
      const variants = v.type === 'array' && v.items?.anyOf ? v.items.anyOf.filter((x) => x.type === 'object') : [];
      rows.push(`| \`${path}\` | ${obj && v.type !== 'array' ? 'object' : typeOf(v)} | ${n.required?.includes(k) ? 'yes' : ''} | ${(v.description ?? '').replace(/\|/g, '\\|')} |`);
      if (obj) walk(obj, v.type === 'array' ? `${path}[]` : path);
      for (const variant of variants) walk(variant, `${path}[${String(variant.properties?.type?.const ?? '')}]`);
    }
  };
  walk(schema, '');
  return rows.join('\n');
}

/** Build the app on in-memory records and return its OpenAPI document. */
export async function openApiDocument(): Promise<OpenApiDoc> {
  const { silentLogger } = await import('../../lib/log.js');
  const { createOps } = await import('../ops.js');
  const { buildApp } = await import('../app.js');
  const ops = await createOps({ config: { site: 'sim1' }, log: silentLogger, recordsPath: ':memory:' });
  const app = await buildApp({ ops });
  const doc = (await app.inject({ url: '/api/openapi.json' })).json() as OpenApiDoc;
  await app.close(); await ops.close();
  return doc;
}

/** Rewrite the generated tables in server/README.md (between the routes/config markers). */
export async function writeReadme(): Promise<void> {
  const { readFileSync, writeFileSync } = await import('node:fs');
  const { ServerConfig } = await import('../config.js');
  const file = fileURLToPath(new URL('../README.md', import.meta.url));
  let text = readFileSync(file, 'utf8');
  const put = (name: string, body: string) => {
    text = text.replace(new RegExp(`<!-- ${name}:begin -->[\\s\\S]*?<!-- ${name}:end -->`), `<!-- ${name}:begin -->\n${body}\n<!-- ${name}:end -->`);
  };
  put('routes', routeTable(await openApiDocument()));
  put('config', configTable(ServerConfig as SchemaNode));
  writeFileSync(file, text);
}

// `npx tsx server/routes/openapi-table.ts [routes|config|--write]`
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { ServerConfig } = await import('../config.js');
  if (process.argv[2] === '--write') await writeReadme();
  else process.stdout.write(process.argv[2] === 'config' ? `${configTable(ServerConfig as SchemaNode)}\n` : `${routeTable(await openApiDocument())}\n`);
}
