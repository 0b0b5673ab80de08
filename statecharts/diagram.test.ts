import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readmeBlock, toMermaid } from './diagram.js';
import { zoneMachine } from './zone-machine.js';

describe('the README diagram is generated from the machine', () => {
  it('README.md holds exactly the diagram of the current zone machine (regenerate: npx tsx statecharts/diagram.ts)', () => {
    const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    expect(readme).toContain(readmeBlock());
  });

  it('the diagram names every stage state and the guarded escalations', () => {
    const d = toMermaid(zoneMachine);
    for (const s of ['zone_incident_s0_offGas', 'zone_incident_s5_abortHeld', 'zone_incident_fdControl', 'zone_life_recovering']) expect(d).toContain(s);
    expect(d).toContain('zone_incident_s3 --> zone_incident_route : always [t3Escalate]');
  });
});
