import { describe, expect, it } from 'vitest';
import { parseConfig, ConfigError } from '../../lib/config/load.js';
import { Scenario, listScenarios, loadScenario, ScenarioError } from '../../hardware-sim/scenario.js';

describe('scenario files', () => {
  it('every shipped scenario validates and names itself after its file', () => {
    expect(listScenarios()).toEqual(['both-feeds-lost', 'chiller-trip', 'feed-a-loss', 'thermal-runaway-fast', 'thermal-runaway-slow', 'ups-zone-fault']);
    for (const name of listScenarios()) expect(loadScenario(name).name).toBe(name);
  });

  it('a bad step is reported with file:line:col and key path; unknown names are typed errors', () => {
    const text = 'name: x\ndescription: d\nsteps:\n  - { at: 5, fault: { kind: feed-loss, feed: C } }\n';
    let err: unknown;
    try { parseConfig(text, Scenario, 'x.yaml'); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(/^x\.yaml:4:\d+ steps\[0\]/m);
    expect(() => loadScenario('../etc/passwd')).toThrow(ScenarioError);
  });
});
