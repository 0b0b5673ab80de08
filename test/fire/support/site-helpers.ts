/**
 * Helpers shared by the fire requirement tests in `test/fire/site/` (one copy instead of one per
 * file): starting one rig per test, what the agent read (its telemetry), what it decided (zone
 * document, journal) and what the plant really is (`sim.truth()`). Each reads; none asserts.
 */
import type { ZoneStateDoc } from '../../../agent/fire/publish.js';
import type { JournalRecord } from '../../../agent/fire/journal.js';
import type { ActuatorRecord, AlarmRecord, ZoneContext } from '../../../statecharts/zone/types.js';
import { startSiteRig, type SiteRig, type SiteRigOptions } from './site-rig.js';

/** Probe A / probe B temperature of rack 1 on fire-br1. */
export const A1 = 'rack.1.probe.a.temperature';
export const B1 = 'rack.1.probe.b.temperature';

/**
 * Detection files: fire points polled every 250 ms (stale after 750 ms); a 100 ms poll goes
 * transiently stale on a loaded 2-core machine.
 */
export const DETECTION_RIG: SiteRigOptions = { racks: 2, pollGroups: { fast: 250, normal: 500, slow: 5000 } };

/** One rig per test: `start` ({...defaults, ...o}, then waits for zone z1 operational); `close` for afterEach, also after a failed start wait. */
export function rigPerTest(defaults: SiteRigOptions = {}): { start(o?: SiteRigOptions): Promise<SiteRig>; close(): Promise<void> } {
  let rig: SiteRig | null = null;
  return {
    async start(o = {}) {
      rig = await startSiteRig({ ...defaults, ...o });
      const r = rig;
      await r.operational('z1');
      return r;
    },
    async close() { await rig?.close(); rig = null; },
  };
}

/** One telemetry point as the agent published it: device, name, value, source time, quality (0 good). */
export interface Sample { d: string; n: string; v: unknown; t: number; q: number }

/** What the agent read of a point (its telemetry: every fire sample, source time `t`). */
export const samples = (r: SiteRig, name: string, device = 'fire-br1'): Sample[] =>
  r.sub.telemetry.flatMap((b) => b.points as Sample[]).filter((p) => p.d === device && p.n === name);

/** Wait until the agent has read and processed `name` up to source time `t` (the fire runtime ingests before telemetry leaves). */
export const readUpTo = (r: SiteRig, t: number, name = A1, device = 'fire-br1') =>
  r.until(() => samples(r, name, device).some((p) => p.t >= t) || undefined, `agent read ${name} up to ${new Date(t).toISOString()}`);

/** The zone's state document (`state/fire/z1`), typed as the machine keeps it. */
export type Doc = Omit<ZoneStateDoc, 'alarms' | 'actuators' | 'thermal' | 'fdControl'> & {
  alarms: Record<string, AlarmRecord>; actuators: Record<string, ActuatorRecord>; thermal: ZoneContext['thermal']; fdControl: ZoneContext['fdControl'];
};
/** The state document of zone z1, typed. */
export const zdoc = (r: SiteRig) => r.zone().stateDoc() as unknown as Doc;

/** An alarm of zone z1 as the edge keeps it (undefined if never raised). */
export const alarm = (r: SiteRig, id: string): AlarmRecord | undefined => zdoc(r).alarms[id];

/** The incident region of zone z1's machine state ('idle', 'watch', ...). */
export const incident = (r: SiteRig) => (r.zone().stateDoc().state as { incident?: unknown }).incident;

/** The transition records of zone z1's journal, in order. */
export const transitions = (r: SiteRig): JournalRecord[] => r.journal().filter((j) => j.type === 'transition');

/** The first transition journaled for `event` (VOTE.S1, VOTE.CLEAR, ...), if any. */
export const transition = (r: SiteRig, event: string): JournalRecord | undefined => transitions(r).find((j) => j.data.event === event);

/** The decision record of `rack` journaled with the first `event`; throws if there is none. `D` is the shape the caller reads. */
export function decision<D extends { rack: number }>(r: SiteRig, event: string, rack = 1): D {
  const d = (transition(r, event)?.data.decisions as D[] | undefined)?.find((x) => x.rack === rack);
  if (!d) throw new Error(`no ${event} decision for rack ${rack} in the journal`);
  return d;
}

/** What the plant really is in battery room BR1 (`sim.truth()`). */
export const roomTruth = (r: SiteRig) => r.sim.truth({ devices: false }).rooms[0]!;

/** What the plant really is for rack `i` (1-based) of BR1. */
export const rackTruth = (r: SiteRig, i: number) => roomTruth(r).racks[i - 1]!;

/** Hold both temperature probes of `rack` at `c` °C in the simulator. */
export async function probes(r: SiteRig, rack: number, c: number): Promise<void> {
  await r.force(`rack.${rack}.probe.a.temperature`, c);
  await r.force(`rack.${rack}.probe.b.temperature`, c);
}

/** The life region of zone z1's machine state ('recovering', 'operational', 'maintenance', 'drill'). */
export const life = (r: SiteRig) => (r.zone().stateDoc().state as { life?: string } | null)?.life;

/**
 * Wait until zone z1 has left `recovering` in any life (maintenance and drill count, unlike
 * `rig.operational()`); `docFlag` also waits for the state document's `recovering` flag to clear.
 */
export async function recovered(r: SiteRig, o: { docFlag?: boolean } = {}): Promise<void> {
  await r.until(() => {
    const l = life(r);
    return ((!o.docFlag || !r.zone().stateDoc().recovering) && l !== undefined && l !== 'recovering') || undefined;
  }, 'zone recovered');
}
