/**
 * The zone machine (FIRE-SAFETY.md §2.2): one per battery room / UPS zone, pure. No `after`, no
 * `invoke`: time arrives as event timestamps, TICK and DEADLINE{name}; deadlines are absolute
 * times in `context.deadlines`. Every effect is a named, parameterised action with a no-op default
 * (journalIntent, journalOutcome, cmd, annunciate, notify, armDeadline, cancelDeadline,
 * recordHandover, journalNote, commandResult); the runtime supplies them with `.provide()`.
 * Outputs are also derivable from context at any time (`outputs.ts`), because a restored
 * snapshot does not re-run entry actions (xstate#4627).
 */
import { enqueueActions, setup, type SnapshotFrom, type ActorRefFrom } from 'xstate';
import { contradicted, onFeedback, onRuntimeVerdict } from './zone/actuation.js';
import { apply, doHandover, doReset, manualReleaseRejection, reject, rejection } from './zone/commands.js';
import { eventTime, guards, initialContext } from './zone/context.js';
import { onAbort, onChannel, onGasStore, onIoLink, onLfl, onLockoff, onPatch, onRecovered, onStatus, onTank, onWaterSupply, timers } from './zone/inputs.js';
import { pushHandover, raise, startGas } from './zone/stages.js';
import { Tx } from './zone/tx.js';
import type { Effect, HumanEvent, Stage, ZoneContext, ZoneEvent, ZoneInput } from './zone/types.js';

/** Bump when the machine's states or context change shape: a snapshot of another version is not restored (FS-30). */
export const MACHINE_VERSION = 'zone-machine/2';

type Handler = (tx: Tx, ev: ZoneEvent, params: Record<string, unknown>) => void;

/** Run a pure handler over a Tx, assign the new context, then enqueue its effects in order. */
const run = (h: Handler): any =>
  enqueueActions(({ context, event, enqueue }: { context: ZoneContext; event: ZoneEvent; enqueue: any }, params: unknown) => {
    const tx = new Tx(context, eventTime(context, event));
    h(tx, event, (params ?? {}) as Record<string, unknown>);
    timers(tx);
    enqueue.assign(() => tx.ctx);
    for (const e of tx.fx) enqueue({ type: e.type, params: e });
  });

const noop = (_: unknown, _p: unknown) => {};
type P<T extends Effect['type']> = Extract<Effect, { type: T }>;

const racksOf = (ev: ZoneEvent): number[] | 'all' =>
  ev.type === 'VOTE.S0' && ev.room ? 'all' : 'racks' in ev ? ev.racks : ev.type === 'PATCH' ? [ev.rack] : [];
const decisionsOf = (ev: ZoneEvent) => ('decisions' in ev ? ev.decisions : undefined);

/** Outputs whose service inhibit makes the zone's suppression inoperative (FS-17). */
const SUPPRESSION_KINDS = new Set(['nozzle', 'spray', 'gas', 'drain.pump']);

const GAS_PHASES = ['none', 'disabled', 'inhibited', 'interlock', 'predischarge', 'abortHeld', 'releasing', 'holding', 'failed'] as const;
const NOZZLE_PHASES = ['preDischarge', 'releasing', 'settled'] as const;
const WATER_PHASES = ['interlock', 'starting', 'flowing', 'failed', 'stopped'] as const;

/** Sub-states that mirror a phase computed from context (so the diagram shows the sequence). */
function mirror(phases: readonly string[], guard: string, describe: Record<string, string>): Record<string, object> {
  return Object.fromEntries(phases.map((ph) => [ph, {
    ...(describe[ph] ? { description: describe[ph] } : {}),
    always: phases.filter((o) => o !== ph).map((o) => ({ guard: { type: guard, params: { phase: o } }, target: o })),
  }]));
}

const human = (target?: string, action = 'human') => [
  { guard: 'cmdOk', ...(target ? { target } : {}), actions: action },
  { actions: 'reject' },
];

const raiseOn = (stage: Stage) => [
  { guard: { type: 'canRaise', params: { stage } }, target: '.route', actions: { type: 'raise', params: { stage } } },
  { actions: { type: 'raise', params: { stage } } },
];

export function createZoneMachine() {
  return setup({
    types: {} as { context: ZoneContext; events: ZoneEvent; input: ZoneInput },
    actions: {
      // effects (the runtime provides these)
      journalIntent: noop as (_: unknown, p: P<'journalIntent'>) => void,
      journalOutcome: noop as (_: unknown, p: P<'journalOutcome'>) => void,
      cmd: noop as (_: unknown, p: P<'cmd'>) => void,
      annunciate: noop as (_: unknown, p: P<'annunciate'>) => void,
      notify: noop as (_: unknown, p: P<'notify'>) => void,
      armDeadline: noop as (_: unknown, p: P<'armDeadline'>) => void,
      cancelDeadline: noop as (_: unknown, p: P<'cancelDeadline'>) => void,
      recordHandover: noop as (_: unknown, p: P<'recordHandover'>) => void,
      journalNote: noop as (_: unknown, p: P<'journalNote'>) => void,
      commandResult: noop as (_: unknown, p: P<'commandResult'>) => void,
      // internal, pure
      time: run(() => {}),
      status: run((tx, ev) => { if (ev.type === 'VOTE.STATUS') onStatus(tx, ev); }),
      channel: run((tx, ev) => { if (ev.type === 'CHANNEL.FAULT' || ev.type === 'CHANNEL.DEGRADED' || ev.type === 'CHANNEL.RESTORED') onChannel(tx, ev); }),
      inputs: run((tx, ev) => {
        if (ev.type !== 'INPUTS') return;
        for (const e of ev.events) {
          if (e.type === 'FEEDBACK') onFeedback(tx, e.actuator, e.state, e.current);
          else onChannel(tx, e);
        }
      }),
      feedback: run((tx, ev) => {
        if (ev.type === 'FEEDBACK') onFeedback(tx, ev.actuator, ev.state, ev.current);
        else if (ev.type === 'ACTUATOR.CONFIRMED') onRuntimeVerdict(tx, 'confirmed', ev.actuator, ev.op, ev.intentId, 'runtime verified');
        else if (ev.type === 'ACTUATOR.FAILED') onRuntimeVerdict(tx, 'failed', ev.actuator, ev.op, ev.intentId, `${ev.result}${ev.attempts ? ` after ${ev.attempts} attempts` : ''}`);
        else if (ev.type === 'ACTUATOR.CONTRADICTED') contradicted(tx, ev.actuator, ev.why);
      }),
      abort: run((tx, ev) => { if (ev.type === 'ABORT') onAbort(tx, ev); }),
      lockoff: run((tx, ev) => { if (ev.type === 'LOCKOFF') onLockoff(tx, ev); }),
      tank: run((tx, ev) => { if (ev.type === 'TANK_LEVEL') onTank(tx, ev.pct); }),
      lfl: run((tx, ev) => { if (ev.type === 'GAS_LFL') onLfl(tx, ev.pct); }),
      io: run((tx, ev) => { if (ev.type === 'IO.LINK') onIoLink(tx, ev); }),
      supply: run((tx, ev) => { if (ev.type === 'GAS_STORE') onGasStore(tx, ev.pct); else if (ev.type === 'WATER_SUPPLY') onWaterSupply(tx, ev.ok); }),
      link: run((tx, ev) => {
        tx.ctx.linkUp = ev.type === 'LINK.UP';
        if (ev.type === 'LINK.DOWN') tx.alarm('link', 'trouble', 3, `zone ${tx.ctx.zone}: server link partitioned`);
        else tx.clear('link');
      }),
      trigger: run((tx, ev) => {
        if (ev.type !== 'HANDOVER.TRIGGER') return;
        if (tx.ctx.stage >= 0) pushHandover(tx, ev.reason);
        else tx.note('handoverTriggerIgnored', { reason: ev.reason, why: 'no incident in this zone' });
      }),
      raise: run((tx, ev, p) => {
        if (ev.type === 'PATCH') { onPatch(tx, ev); if (!ev.fired || ev.fault) return; }
        raise(tx, p.stage as Stage, racksOf(ev), ev.type, decisionsOf(ev));
      }),
      escalate: run((tx, _ev, p) => raise(tx, p.stage as Stage, null, `escalation to stage ${String(p.stage)} (FS-10)`)),
      markChecked: run((tx, _ev, p) => {
        const which = p.which as 't3' | 't4';
        tx.ctx.checked[which] = true;
        tx.cancel(which);
        tx.note('escalationHeld', { check: which, maxC: tx.ctx.thermal?.maxC ?? null, falling: tx.ctx.thermal?.falling ?? null });
      }),
      watchOn: run((tx, ev) => {
        if (ev.type !== 'VOTE.WATCH') return;
        tx.ctx.watchRacks = [...new Set([...tx.ctx.watchRacks, ...ev.racks])];
        tx.alarm('watch', 'alarm', 2, `zone ${tx.ctx.zone} pre-alarm (watch) on rack ${ev.racks.join(', ')}`);
        tx.note('watch', { racks: ev.racks, reasons: ev.reasons ?? [], decisions: ev.decisions ?? null });
        tx.cmd('room.charge.inhibit', 'on', 'watch: stop charging (FS-06)');
      }),
      watchOff: run((tx) => {
        tx.ctx.watchRacks = [];
        tx.clear('watch');
        tx.note('watchCleared', {});
        if (tx.ctx.stage < 0 && tx.ctx.actuators['room.charge.inhibit']?.op === 'on') tx.cmd('room.charge.inhibit', 'off', 'watch cleared');
      }),
      recovered: run((tx, ev) => { if (ev.type === 'RECOVERED') onRecovered(tx, ev); }),
      manualRelease: run((tx, ev) => {
        if (ev.type !== 'MANUAL_RELEASE') return;
        const refused = manualReleaseRejection(tx.ctx, ev);
        if (refused) { reject(tx, { type: 'MANUAL_RELEASE', actors: ev.actors, commandId: ev.commandId } as never, refused); return; }
        if (tx.ctx.gas.phase === 'releasing' || tx.ctx.gas.phase === 'holding') { tx.note('manualReleaseAfterRelease', { source: ev.source }); return; }
        // release first: manual release overrides abort, cross-zoning and the delay (FS-16), so the
        // automatic gas path that raise() would start (and its "waits for ..." alarms) never runs
        startGas(tx, ev.source);
        raise(tx, 5, null, `manual release (${ev.source})`);
      }),
      human: run((tx, ev) => apply(tx, ev as HumanEvent)),
      reject: run((tx, ev) => reject(tx, ev as HumanEvent, rejection(tx.ctx, ev as HumanEvent) ?? 'not accepted in this state')),
      reset: run((tx, ev) => doReset(tx, ev as HumanEvent)),
      handover: run((tx, ev) => {
        const h = ev as HumanEvent;
        doHandover(tx, `manual declaration: ${h.reason ?? 'no reason given'}`, h.actors);
        apply(tx, h);
      }),
      autoHandover: run((tx) => doHandover(tx, tx.ctx.handoverReasons.join('; '), [])),
      fdRelease: run((tx, ev) => { tx.ctx.fdControl = null; tx.clear('fdControl'); apply(tx, ev as HumanEvent); }),
      controlled: run((tx, ev) => {
        tx.arm('postWatch', tx.now + tx.ctx.params.timings.postIncidentWatchMs);
        apply(tx, ev as HumanEvent);
      }),
      watchEnd: run((tx, ev) => { tx.cancel('postWatch'); apply(tx, ev as HumanEvent); }),
      reignite: run((tx, ev, p) => {
        tx.cancel('postWatch');
        tx.alarm('reignition', 'alarm', 1, `zone ${tx.ctx.zone}: re-ignition — stage actions re-asserted`, { latched: true });
        raise(tx, Math.max(p.stage as number, tx.ctx.stage) as Stage, racksOf(ev), 're-ignition', decisionsOf(ev));
      }),
      maintEnter: run((tx, ev) => {
        if (ev.type !== 'MAINT.ENTER') return;
        tx.ctx.maintenance = { permitId: ev.permitId, inhibit: ev.inhibit, expiresAt: ev.expiresAt };
        tx.arm('maint', ev.expiresAt);
        tx.alarm('maintenance', 'supervisory', 3, `zone ${tx.ctx.zone} in maintenance (permit ${ev.permitId}), inhibited: ${ev.inhibit.join(', ') || 'none'}`);
        // FS-17: a service inhibit of a suppression output shows as an impairment for as long as it lasts
        const suppression = ev.inhibit.filter((k) => SUPPRESSION_KINDS.has(k));
        if (suppression.length) {
          tx.alarm('serviceInhibit', 'supervisory', 1, `suppression impaired (inoperative: ${suppression.join(', ')}), zone ${tx.ctx.zone}: service inhibit, permit ${ev.permitId} — fire watch required`);
          tx.notify('firedept', `zone ${tx.ctx.zone}: suppression impaired (${suppression.join(', ')}) under permit ${ev.permitId}, fire watch`);
        }
        apply(tx, ev);
      }),
      maintExit: run((tx, ev) => {
        tx.ctx.maintenance = null;
        tx.cancel('maint');
        tx.clear('maintenance');
        tx.clear('serviceInhibit');
        // outputs held back by the permit are demanded now if the latched state still requires them
        const held = Object.entries(tx.ctx.actuators).filter(([, r]) => r.status === 'inhibited').map(([a]) => a);
        for (const a of held) delete tx.ctx.actuators[a];
        if (held.length && tx.ctx.stage >= 0) raise(tx, tx.ctx.stage, null, 'maintenance permit ended');
        if (ev.type === 'MAINT.EXIT') apply(tx, ev); else tx.note('maintenanceExpired', {});
      }),
      drillStart: run((tx, ev) => {
        if (ev.type !== 'DRILL.START') return;
        tx.ctx.drill = { id: ev.drillId, expiresAt: ev.expiresAt };
        tx.arm('drill', ev.expiresAt);
        apply(tx, ev);
      }),
      drillEnd: run((tx, ev) => {
        const id = tx.ctx.drill?.id ?? null;
        tx.ctx.drill = null;
        tx.cancel('drill');
        if (ev.type === 'DRILL.END') apply(tx, ev);
        else tx.note('drillAborted', { drillId: id, by: ev.type });
      }),
    },
    guards: guards as any,
  }).createMachine({
    id: 'zone',
    type: 'parallel',
    context: ({ input }: { input: ZoneInput }) => initialContext(input),
    on: {
      TICK: { actions: 'time' },
      DEADLINE: { actions: 'time' },
      'VOTE.STATUS': { actions: 'status' },
      'CHANNEL.FAULT': { actions: 'channel' },
      'CHANNEL.DEGRADED': { actions: 'channel' },
      'CHANNEL.RESTORED': { actions: 'channel' },
      FEEDBACK: { actions: 'feedback' },
      INPUTS: { actions: 'inputs' },
      'ACTUATOR.CONFIRMED': { actions: 'feedback' },
      'ACTUATOR.FAILED': { actions: 'feedback' },
      'ACTUATOR.CONTRADICTED': { actions: 'feedback' },
      ABORT: { actions: 'abort' },
      TANK_LEVEL: { actions: 'tank' },
      GAS_LFL: { actions: 'lfl' },
      GAS_STORE: { actions: 'supply' },
      WATER_SUPPLY: { actions: 'supply' },
      'IO.LINK': { actions: 'io' },
      'HANDOVER.TRIGGER': { actions: 'trigger' },
      ACK: human(),
      SHELVE: human(),
      UNSHELVE: human(),
      SILENCE: human(),
      REENERGIZE: human(),
      'WATER.STOP': human(),
      'ISOLATION.OVERRIDE': human(),
    },
    states: {
      life: {
        initial: 'recovering',
        on: { 'MAINT.ENTER': { actions: 'reject' }, 'MAINT.EXIT': { actions: 'reject' }, 'DRILL.START': { actions: 'reject' }, 'DRILL.END': { actions: 'reject' } },
        states: {
          recovering: { description: 'nothing commanded until RECOVERED (FS-31)', on: { RECOVERED: 'operational' } },
          operational: { on: { 'MAINT.ENTER': human('maintenance', 'maintEnter'), 'DRILL.START': human('drill', 'drillStart') } },
          maintenance: {
            description: 'detection live; only the permit\'s outputs inhibited (FS-28)',
            on: { 'MAINT.EXIT': human('operational', 'maintExit') },
            always: { guard: 'maintExpired', target: 'operational', actions: 'maintExit' },
          },
          drill: {
            description: 'a real stage condition aborts the drill (FS-29)',
            on: {
              'DRILL.END': human('operational', 'drillEnd'),
              'VOTE.S0': { target: 'operational', actions: 'drillEnd' },
              'VOTE.S1': { target: 'operational', actions: 'drillEnd' },
              'VOTE.S2': { target: 'operational', actions: 'drillEnd' },
              'VOTE.S3': { target: 'operational', actions: 'drillEnd' },
            },
            always: { guard: 'drillExpired', target: 'operational', actions: 'drillEnd' },
          },
        },
      },
      incident: {
        initial: 'idle',
        always: { guard: 'handoverDue', target: '.fdControl', actions: 'autoHandover' },
        on: {
          'VOTE.S0': raiseOn(0),
          'VOTE.S1': raiseOn(1),
          'VOTE.S2': raiseOn(2),
          'VOTE.S3': raiseOn(3),
          PATCH: raiseOn(2),
          'VOTE.WATCH': { actions: 'time' },
          'VOTE.CLEAR': { actions: 'time' },
          RECOVERED: { target: '.route', actions: 'recovered' },
          MANUAL_RELEASE: { target: '.route', actions: 'manualRelease' },
          RESET: human('.idle', 'reset'),
          'FD.HANDOVER': human('.fdControl', 'handover'),
          'FD.RELEASE': human('.awaitingReset', 'fdRelease'),
          'INCIDENT.CONTROLLED': human('.postIncidentWatch', 'controlled'),
          'WATCH.END': human('.awaitingReset', 'watchEnd'),
        },
        states: {
          route: {
            description: 'transient: enter the state the latched context implies',
            always: [
              { guard: 'fdControl', target: 'fdControl' },
              { guard: 'postWatch', target: 'postIncidentWatch' },
              { guard: { type: 'stageIs', params: { stage: 5 } }, target: 's5' },
              { guard: { type: 'stageIs', params: { stage: 4 } }, target: 's4' },
              { guard: { type: 'stageIs', params: { stage: 3 } }, target: 's3' },
              { guard: { type: 'stageIs', params: { stage: 2 } }, target: 's2' },
              { guard: { type: 'stageIs', params: { stage: 1 } }, target: 's1' },
              { guard: { type: 'stageIs', params: { stage: 0 } }, target: 's0_offGas' },
              { guard: 'watching', target: 'watch' },
              { target: 'idle' },
            ],
          },
          idle: { on: { 'VOTE.WATCH': { target: 'watch', actions: 'watchOn' } } },
          watch: { description: 'non-latching pre-alarm (FS-06)', on: { 'VOTE.WATCH': { actions: 'watchOn' }, 'VOTE.CLEAR': { target: 'idle', actions: 'watchOff' } } },
          s0_offGas: { description: 'stop-charge + string isolation (FS-05)' },
          s1: { description: 'isolate zone DC, curtain down (latched)' },
          s2: { description: 'patch observed, never commanded (FS-11)' },
          s3: {
            description: 'rack nozzles; T3 after discharge (FS-10)',
            initial: 'preDischarge',
            states: mirror(NOZZLE_PHASES, 'nozzlePhaseIs', { preDischarge: 'nozzle pre-discharge countdown', releasing: 'release commanded, awaiting pressure switch', settled: 'discharged or failed; T3 running' }),
            always: [
              { guard: 't3Escalate', target: '#zone.incident.route', actions: { type: 'escalate', params: { stage: 4 } } },
              { guard: 't3Check', actions: { type: 'markChecked', params: { which: 't3' } } },
            ],
          },
          s4: {
            description: 'continuous water, waits for isolation (FS-09/20)',
            initial: 'interlock',
            states: mirror(WATER_PHASES, 'waterPhaseIs', { interlock: 'waiting for confirmed isolation or override', starting: 'valves commanded, awaiting flow', flowing: 'flow confirmed; T4 running', failed: 'water failed → stage 5', stopped: 'stopped by an authorized person' }),
            always: [
              { guard: 'waterFailed', target: '#zone.incident.route', actions: { type: 'escalate', params: { stage: 5 } } },
              { guard: 't4Escalate', target: '#zone.incident.route', actions: { type: 'escalate', params: { stage: 5 } } },
              { guard: 't4Check', actions: { type: 'markChecked', params: { which: 't4' } } },
            ],
          },
          s5: {
            description: 'gas: pre-discharge ⇄ abort, D5, release, hold (FS-15..17)',
            initial: 'none',
            states: mirror(GAS_PHASES, 'gasPhaseIs', { abortHeld: 'abort held: countdown stopped', predischarge: 'sounders on, HVAC/dampers closing, D5 running', holding: 'discharged; agent hold' }),
          },
          fdControl: { description: 'fire-department control; automatic escalation suspended (FS-21)' },
          postIncidentWatch: {
            description: 'controlled; watch for re-ignition (FS-22, minimal)',
            on: {
              'VOTE.S0': { target: 'route', actions: { type: 'reignite', params: { stage: 0 } } },
              'VOTE.S1': { target: 'route', actions: { type: 'reignite', params: { stage: 1 } } },
              'VOTE.S2': { target: 'route', actions: { type: 'reignite', params: { stage: 2 } } },
              'VOTE.S3': { target: 'route', actions: { type: 'reignite', params: { stage: 3 } } },
            },
          },
          awaitingReset: {
            on: {
              'VOTE.S1': { target: 'route', actions: { type: 'reignite', params: { stage: 1 } } },
              'VOTE.S2': { target: 'route', actions: { type: 'reignite', params: { stage: 2 } } },
              'VOTE.S3': { target: 'route', actions: { type: 'reignite', params: { stage: 3 } } },
            },
          },
        },
      },
      readiness: {
        initial: 'ready',
        states: {
          ready: { on: { LOCKOFF: [{ guard: ({ event }: { event: ZoneEvent }) => event.type === 'LOCKOFF' && event.on, target: 'impaired', actions: 'lockoff' }, { actions: 'lockoff' }] } },
          impaired: { description: 'lock-off: suppression inoperative (FS-17)', on: { LOCKOFF: [{ guard: ({ event }: { event: ZoneEvent }) => event.type === 'LOCKOFF' && !event.on, target: 'ready', actions: 'lockoff' }, { actions: 'lockoff' }] } },
        },
      },
      bypass: {
        initial: 'none',
        on: { 'BYPASS.START': human(undefined, 'human'), 'BYPASS.END': human(undefined, 'human') },
        states: {
          none: { always: { guard: 'hasBypass', target: 'active' } },
          active: { description: 'time-limited, enforced at the edge (FS-27)', always: { guard: 'noBypass', target: 'none' } },
        },
      },
      link: {
        initial: 'partitioned',
        states: {
          partitioned: { on: { 'LINK.UP': { target: 'online', actions: 'link' }, 'LINK.DOWN': { actions: 'link' } } },
          online: { on: { 'LINK.DOWN': { target: 'partitioned', actions: 'link' }, 'LINK.UP': { actions: 'link' } } },
        },
      },
    },
  } as any);
}

export const zoneMachine = createZoneMachine();
export type ZoneMachine = typeof zoneMachine;
export type ZoneSnapshot = SnapshotFrom<ZoneMachine>;
export type ZoneActor = ActorRefFrom<ZoneMachine>;
