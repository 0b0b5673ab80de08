import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CoolingPlant } from './cooling.js';
import { nodeIdentifier, plantNodeSpecs } from './opcua-nodes.js';

describe('plant node table', () => {
  const specs = plantNodeSpecs(2, 4);

  it('node ids are unique and follow ns=1;s=<Folder>.<Name>', () => {
    expect(new Set(specs.map((s) => s.nodeId)).size).toBe(specs.length);
    for (const s of specs) expect(s.nodeId).toBe(`ns=1;s=${s.folder}.${s.browseName}`);
    expect(nodeIdentifier('ns=1;s=Chiller1.Flow')).toBe('Chiller1.Flow');
    expect(nodeIdentifier('Chiller1.Flow')).toBe('Chiller1.Flow');
  });

  it('README documents every node with its type, unit and access (docs cannot drift)', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const s of specs) {
      expect(readme).toContain(`| \`${s.nodeId}\` | ${s.folder} | ${s.dataType} | ${s.unit ?? ''} | ${s.write ? 'read/write' : 'read'} |`);
    }
  });

  it('sizes with the plant: 3 chillers and 6 layers add their nodes', () => {
    const p = new CoolingPlant({ chillers: [{}, {}, {}], tank: { layers: 6 } });
    const ids = plantNodeSpecs(3, 6).map((s) => s.id);
    expect(ids).toContain('Chiller3.SupplyTemperature');
    expect(ids).toContain('BufferTank.Layer6Temperature');
    const s = p.state;
    for (const spec of plantNodeSpecs(3, 6)) expect(spec.read(s)).toBeDefined();
  });
});
