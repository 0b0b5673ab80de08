/** server/README.md's route and config tables are generated: they must match the served OpenAPI document and the schema. */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { ServerConfig } from '../../server/config.js';
import { configTable, openApiDocument, routeTable } from '../../server/routes/openapi-table.js';

const between = (text: string, name: string) => text.split(`<!-- ${name}:begin -->\n`)[1]?.split(`\n<!-- ${name}:end -->`)[0];

test('README route table = OpenAPI document; config table = schema; every route has a schema and a role', async () => {
  const readme = readFileSync(new URL('../../server/README.md', import.meta.url), 'utf8');
  const doc = await openApiDocument();
  expect(between(readme, 'routes')).toBe(routeTable(doc));
  expect(between(readme, 'config')).toBe(configTable(ServerConfig as never));
  for (const [path, ops] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(ops)) {
    expect(op.summary, `${m} ${path}`).toBeTruthy();
    expect(op.description, `${m} ${path}`).toMatch(/^Role: /);
  }
});
