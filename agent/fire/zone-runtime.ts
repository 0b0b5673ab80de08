/**
 * One zone's runtime around its pure machine (FS-30, FS-31, FS-35, FS-38): journal, snapshot,
 * voter, deadlines, verified actuation and reconcile. Everything a zone owns is here, so an
 * exception in one zone restarts that zone through recovery (§2.8) without touching the others.
 *
 * Event path: points → ZoneInputs → voterStep → VOTE.* / CHANNEL.* + field events → machine.
 * After each event: journal the transition (with the voted inputs), handle the effects in order
 * (cmd → Actuation → ACTUATOR.CONFIRMED/FAILED back to the machine), save the snapshot, re-sync
 * the deadline timers, publish, and reconcile outputs on stage entry and on contradictions.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Logger } from '../../lib/log.js';
import type { Point } from '../../lib/points.js';
import { createVoter, voterStep, type VoterState } from '../../statecharts/voter/index.js';
import type { DecisionRecord } from '../../statecharts/voter/types.js';
import { INPUT_EVENT_TYPES, type Effect, type HumanEvent, type InputEvent, type ZoneEvent } from '../../statecharts/zone/types.js';
import { Actuation, type ActuationOutcome, type FireIoPort } from './actuation.js';
import { dischargedInField, resolveActuator, type TimeoutKey } from './actuators.js';
import { reconcile as reconcileOutputs } from '../../statecharts/index.js';
import type { TimerHost } from './clock.js';
import { DeadlineScheduler } from './deadlines.js';
import { FieldState } from './field.js';
import { IoLinkTracker } from './io-link.js';
import { Journal, type JournalRecord } from './journal.js';
import { priorityToSeverity, type FirePublisher, type ZoneStateDoc } from './publish.js';
import { attemptedOneShots, deriveStageFromField, inFlightIntents, recoveryInputs } from './recovery.js';
import { feedbackStates, ZoneInputs } from './zone-inputs.js';
import type { ZoneActorPort, ZoneMachinePort } from './zone-port.js';

export interface ZoneSpec {
  id: string;
  room: string;
  fireIo: string;
  bms?: string;
  camera?: string;
  racks: number;
}

export interface ZoneRuntimeOptions {
  zone: ZoneSpec;
  /** statecharts params (thresholds, timings, feedback, detection, gasEnabled) */
  params: Record<string, unknown>;
  dir: string;
  configHash: string;
  machine: ZoneMachinePort;
  io: FireIoPort;
  clock: TimerHost;
  publisher: FirePublisher;
  timeouts: Record<TimeoutKey, number>;
  fieldReadTimeoutMs: number;
  tickMs?: number;
  log?: Logger;
  /** Current server-link state (sent to the machine after recovery; it starts `partitioned`). */
  linkUp?: () => boolean;
  /** Observer called inside effect handling (drill recorders, fault-injection tests). Exceptions crash the zone (FS-38). */
  onEffect?: (zone: string, e: Effect) => void;
}

export type DispatchOutcome = { ok: boolean; reason?: string };

export class ZoneRuntime {
  readonly journal: Journal;
  readonly field = new FieldState();
  private inputs: ZoneInputs;
  /** FS-26: which source devices answer (one device trouble instead of a trouble per channel). */
  private readonly ioLinks: IoLinkTracker;
  private racks: number[];
  private actor: ZoneActorPort | null = null;
  private actuation: Actuation | null = null;
  private deadlines: DeadlineScheduler | null = null;
  private voter: VoterState | null = null;
  private tick: unknown = null;
  private recovering = true;
  private fieldSeen = false;
  private lastDecisions: DecisionRecord[] = [];
  private commandResults = new Map<string, DispatchOutcome>();
  private intentSeq = 0;
  private stopped = false;
  private generation = 0;
  crashes = 0;

  constructor(private readonly o: ZoneRuntimeOptions) {
    this.racks = Array.from({ length: o.zone.racks }, (_, i) => i + 1);
    this.inputs = new ZoneInputs({ fireIo: o.zone.fireIo, bms: o.zone.bms, camera: o.zone.camera }, this.racks);
    this.ioLinks = new IoLinkTracker([{ source: 'fireIo', device: o.zone.fireIo }, { source: 'bms', device: o.zone.bms }, { source: 'camera', device: o.zone.camera }]);
    this.journal = new Journal({ dir: o.dir, zone: o.zone.id, clock: o.clock, configHash: o.configHash, machineVersion: o.machine.machineVersion });
  }

  get id(): string { return this.o.zone.id; }
  get isRecovering(): boolean { return this.recovering; }
  owns(p: Point): boolean { return this.inputs.owns(p); }

  /** Recovery (§2.8) and start. Resolves once RECOVERED is sent (≤ fieldReadTimeoutMs + a little). */
  async start(): Promise<void> {
    const opened = this.journal.open();
    if (opened.tornTail) this.publish('fire.journal', 'P3', `journal: torn last record discarded (${opened.tornTail.bytes} bytes)`, { ...opened.tornTail });
    if (opened.chainBreak) this.publish('fire.journal', 'P1', 'journal chain broken: old journal kept aside, new chain started', { ...opened.chainBreak });
    await this.recover(opened.records, 'start');
  }

  private async recover(records: JournalRecord[], why: 'start' | 'crash'): Promise<void> {
    const gen = ++this.generation;
    this.recovering = true;
    const now = this.o.clock.now();
    // 2. version / config check, 3. restore or reconstruct
    const loaded = this.journal.loadSnapshot();
    let snapshot: unknown = null;
    let reason = '';
    if (!loaded.ok) reason = loaded.reason;
    else if (loaded.stored.machineVersion !== this.o.machine.machineVersion) reason = `machine version ${loaded.stored.machineVersion} ≠ ${this.o.machine.machineVersion}`;
    else if (loaded.stored.configHash !== this.o.configHash) reason = `config hash ${loaded.stored.configHash.slice(0, 12)} ≠ ${this.o.configHash.slice(0, 12)}`;
    else snapshot = loaded.stored.snapshot;
    const restarted = records.some((r) => r.type !== 'journal.tornTail' && r.type !== 'journal.chainBreak');
    this.journal.append('zone.start', { why, restored: snapshot !== null, reason: reason || null, journalRecords: records.length });
    this.actor = this.o.machine.create({
      zone: this.o.zone.id, racks: this.racks, params: this.o.params, snapshot, now,
      onEffect: (e) => this.sink.push(e),
    });
    this.voter = createVoter({ racks: this.racks, channels: this.inputs.channels(), params: this.o.params as never });
    this.actuation = new Actuation({
      zone: this.o.zone.id, device: this.o.zone.fireIo, io: this.o.io, field: this.field, journal: this.journal, clock: this.o.clock,
      timeouts: this.o.timeouts, log: this.o.log,
      onAttempt: (a) => this.publish('fire.actuation', a.ok ? 'info' : 'P1', `${a.actuator} ${a.op}: ${a.result}${a.final ? '' : ' (retrying once)'}`, { ...a }),
      onContradiction: (c) => this.guard(() => this.process({ type: 'ACTUATOR.CONTRADICTED', actuator: c.actuator, op: c.op, intentId: c.intentId, why: c.why, ts: this.o.clock.now() }, 'contradiction')),
    });
    this.actuation.start();
    this.deadlines = new DeadlineScheduler(this.o.clock, (name) => this.guard(() => this.process({ type: 'DEADLINE', name, ts: this.o.clock.now() })));
    // 4. read the field (first complete poll), bounded so recovery ends within 5 s (FS-31)
    await this.waitForField();
    if (gen !== this.generation || this.stopped) return;
    // in-flight commands: the field decides their outcome (FS-30)
    this.attempted = attemptedOneShots(records);
    for (const i of inFlightIntents(records)) {
      let state = 'unknown';
      try { const v = resolveActuator(i.actuator, i.op).check(this.field); state = v.state === 'confirmed' ? 'confirmed' : `not confirmed (${v.why})`; } catch { /* unknown actuator: keep 'unknown' */ }
      this.journal.append('intent.recovered', { intentId: i.intentId, actuator: i.actuator, op: i.op, attempt: i.attempt, field: state });
      this.publish('fire.actuation', 'P2', `in-flight command recovered: ${i.actuator} ${i.op} → field ${state}`, { intentId: i.intentId, field: state });
    }
    // With a restored snapshot the field can only add what the snapshot may have missed (a
    // discharge, water, a fired patch: stage ≥ 2); isolation alone is also stage 0 evidence.
    // Without one, the field is all there is (FS-31 step 7).
    const fromField = deriveStageFromField(this.field, this.racks);
    const derived = snapshot !== null && fromField.stage < 2 ? { ...fromField, stage: -1 } : { ...fromField }; // a copy: `fieldStage` stays what the field proves
    // The journal is the write-ahead log: a stage it recorded after the snapshot was taken is never lost.
    const snapSeq = loaded.ok ? loaded.stored.journalSeq : 0;
    const lastT = [...records].reverse().find((r) => r.type === 'transition');
    if (lastT && lastT.seq > snapSeq && Number(lastT.data.stage) > Math.max(derived.stage, this.actor!.context().stage)) {
      derived.stage = Number(lastT.data.stage);
      derived.evidence = { ...derived.evidence, journal: `stage ${derived.stage} at seq ${lastT.seq}, after the snapshot (seq ${snapSeq})` };
    }
    const fieldState = Object.fromEntries(Object.entries(feedbackStates(this.field, this.racks)).map(([a, f]) => [a, f.state]));
    this.journal.append('recovery.field', { derivedStage: derived.stage, fieldStage: fromField.stage, evidence: derived.evidence, fieldState });
    this.guard(() => {
      // RECOVERED carries the field: the machine confirms what it shows (isolation, discharges,
      // flow) and re-arms its feedback backstops from now; then the field's other inputs (patch,
      // abort, lock-off, ...) as on any poll.
      this.process({ type: 'RECOVERED', derivedStage: derived.stage as never, reconstructed: snapshot === null && derived.stage >= 0, restarted, fieldState, ts: this.o.clock.now() }, 'recovered');
      this.inputs.resetSent();
      for (const e of this.inputs.fieldEvents(this.field, this.o.clock.now())) this.process(e);
      this.recovering = false;
      if (this.o.linkUp?.()) this.process({ type: 'LINK.UP', ts: this.o.clock.now() });
      if (restarted) {
        const stage = this.actor!.context().stage;
        this.publish('alarm', stage >= 0 ? 'P1' : 'P3', `agent restarted${stage >= 0 ? ' during incident' : ''} (zone ${this.id}, stage ${stage})`, { restart: true, stage, restored: snapshot !== null, reason: reason || null });
      }
      this.reconcile('recovered');
      this.saveAndPublish();
    });
    const tickMs = this.o.tickMs ?? 1000;
    const loop = () => { this.tick = this.o.clock.setTimer(() => { if (this.stopped || gen !== this.generation) return; this.guard(() => this.onTick()); loop(); }, tickMs); };
    loop();
  }

  private sink: Effect[] = [];
  /** One-shot releases already attempted in this incident (journal): never written a second time. */
  private attempted = new Map<string, { intentId: string; op: string }>();
  /** Outputs without feedback (pre-discharge signals): the last op written and read back in this process. */
  private signals = new Map<string, string>();
  private fieldWaiters: (() => void)[] = [];

  private waitForField(): Promise<void> {
    if (this.fieldSeen) return Promise.resolve();
    return new Promise((resolve) => {
      let done = false;
      const finish = () => { if (!done) { done = true; this.o.clock.clearTimer(t); resolve(); } };
      const t = this.o.clock.setTimer(finish, this.o.fieldReadTimeoutMs);
      this.fieldWaiters.push(finish);
    });
  }

  /** Points of this zone's devices (one poll cycle or subscription batch). */
  ingest(points: readonly Point[]): void {
    if (this.stopped) return;
    const batch = this.inputs.collect(points, this.field);
    // The first read of the field is complete once every input recovery reads has a value (FS-31 step 2).
    if (!this.fieldSeen && points.some((p) => p.device === this.o.zone.fireIo) && recoveryInputs(this.racks).every((n) => this.field.has(n))) {
      this.fieldSeen = true;
      for (const w of this.fieldWaiters.splice(0)) w();
    }
    if (this.recovering || !this.actor) return;
    this.guard(() => {
      const now = this.o.clock.now();
      this.batch(() => {
        for (const e of this.ioLinks.events(points, now)) this.process(e);
        this.processInOrder(this.inputs.fieldEvents(this.field, now));
        this.step({ readings: batch.readings, detectors: batch.detectors }, now);
      });
    });
  }

  /**
   * Events of one poll batch (or one voter step). An event that changes neither the machine's
   * state nor its stage and commands nothing (a channel trouble, an input fault: alarms and notes
   * only) does not save the snapshot and publish the state by itself; that is done once at the end
   * of the batch. A device that stops answering raises ~300 such events in one poll, and a snapshot
   * each took seconds (bench/fire-latency --decision-only). Anything else saves before its
   * effects, as always (write-ahead).
   */
  private batchDepth = 0;
  private batchDirty = false;
  private batch(fn: () => void): void {
    if (this.batchDepth === 0) this.batchDirty = false;
    this.batchDepth++;
    this.groupCommit++; // one fsync for the batch's unsynced records (alarms, troubles), at its end
    try { fn(); } finally { this.batchDepth--; if (--this.groupCommit === 0) this.journal.flush(); }
    if (this.batchDepth === 0 && this.batchDirty) { this.batchDirty = false; this.saveAndPublish(); }
  }

  private onTick(): void {
    const now = this.o.clock.now();
    this.step({}, now);
    this.process({ type: 'TICK', ts: now });
  }

  private step(input: Parameters<typeof voterStep>[1], now: number): void {
    const ctx = this.actor!.context();
    const l = ctx.latched;
    const r = voterStep(this.voter!, input, now, {
      // FS-26: occluded once a curtain is down in the field (its limit switch), not when stage 1 is
      // merely latched: until the curtain is down the camera's view is a valid vote (FS-04)
      cameraOccluded: this.racks.some((k) => this.field.bool(`rack.${k}.curtain.down`) === true) || l.s4 !== null || l.s5 !== null,
      bypassed: Object.values(ctx.bypasses).map((b) => `${b.rack}/${b.channel}`),
    });
    this.voter = r.state;
    this.batch(() => this.processInOrder(r.events as ZoneEvent[]));
  }

  /**
   * Feed events in order; a run of consecutive input events (FEEDBACK, CHANNEL.*: root handlers
   * only) goes to the machine as one INPUTS event, so a poll that changes 200 channels costs one
   * context copy, not 200 (bench/README.md "Full agent"). A run of one is sent as it is.
   */
  private processInOrder(events: readonly ZoneEvent[]): void {
    let run: InputEvent[] = [];
    const flush = (): void => {
      if (run.length === 1) this.process(run[0]!);
      else if (run.length > 1) this.process({ type: 'INPUTS', events: run, ts: run[0]!.ts }, `INPUTS(${run.length})`);
      run = [];
    };
    for (const e of events) {
      if (INPUT_EVENT_TYPES.has(e.type)) { run.push(e as InputEvent); continue; }
      flush();
      if ('decisions' in e && e.decisions) this.lastDecisions = e.decisions;
      this.process(e);
    }
    flush();
  }

  /** A human command (already verified by the intake). Returns the machine's verdict. */
  dispatch(e: HumanEvent | ZoneEvent & { commandId?: string }): DispatchOutcome {
    if (this.recovering || !this.actor) return { ok: false, reason: `zone ${this.id} is recovering; retry in a few seconds` };
    const id = (e as { commandId?: string }).commandId;
    let out: DispatchOutcome = { ok: true };
    this.guard(() => {
      this.process(e as ZoneEvent, 'command');
      if (id && this.commandResults.has(id)) { out = this.commandResults.get(id)!; this.commandResults.delete(id); }
    });
    return out;
  }

  /** Feed one event to the machine and handle everything it caused. */
  private process(e: ZoneEvent, cause: string = e.type): void {
    const actor = this.actor;
    if (!actor) return;
    const beforeValue = JSON.stringify(actor.value());
    const beforeStage = actor.context().stage;
    const effects: Effect[] = [];
    const outer = this.sink;
    this.sink = effects;
    try { actor.send(e); } finally { this.sink = outer; }
    const ctx = actor.context();
    const afterValue = JSON.stringify(actor.value());
    const changed = afterValue !== beforeValue || ctx.stage !== beforeStage;
    if (changed) {
      const decisions = e.type.startsWith('VOTE.') ? this.lastDecisions : [];
      const rec = this.journal.append('transition', { event: e.type, from: JSON.parse(beforeValue), to: actor.value(), stageFrom: beforeStage, stage: ctx.stage, affectedRacks: ctx.affectedRacks, decisions, cause });
      this.publish('fire.transition', ctx.stage >= 0 ? 'P1' : 'info', `zone ${this.id}: ${e.type} → stage ${ctx.stage}`, { event: e.type, from: JSON.parse(beforeValue), to: actor.value(), stage: ctx.stage, stageFrom: beforeStage, decisions, journalSeq: rec.seq });
    }
    // Write-ahead: the machine's decision (snapshot) is on disk before any of its effects runs, so a
    // kill between a decision and its outputs restores the decision, never an older stage.
    const persist = changed || effects.length > 0;
    const later = persist && this.batchDepth > 0 && !changed && !effects.some((ef) => ef.type === 'cmd');
    if (persist && !later) { this.journal.saveSnapshot(actor.persisted()); this.batchDirty = false; }
    // Group commit: the effects' journal records (alarms, notifications, decisions) are written
    // unsynced; the first command's intent fsync covers them before its write goes out, and the
    // flush below covers the rest before control returns to the event loop. Only the intents hold
    // up an output; no field write ever precedes the fsync of the records before it. (An event may
    // be handed to the publisher a few microseconds before its record is fsynced: a power loss in
    // that window leaves the server knowing one record more than the edge, never less.)
    this.groupCommit++;
    try { for (const ef of effects) this.effect(ef); } finally { if (--this.groupCommit === 0) this.journal.flush(); }
    if (persist && !later) this.o.publisher.publishState(this.id, this.stateDoc());
    if (later) this.batchDirty = true;
    this.deadlines?.sync(ctx.deadlines);
    if (ctx.stage > beforeStage || (changed && ctx.stage >= 0) || cause === 'contradiction') this.reconcile(`${cause}`);
  }

  private effect(e: Effect): void {
    this.o.onEffect?.(this.id, e);
    switch (e.type) {
      case 'cmd': this.command(e.actuator, e.op, e.intentId, 'machine'); break;
      case 'journalIntent': this.journal.append('decision.intent', { ...e }, this.grouped()); break;
      case 'journalOutcome': this.journal.append('decision.outcome', { ...e }, { sync: false }); break;
      case 'annunciate':
        this.journal.append('alarm', { ...e }, e.priority === 1 ? this.grouped() : { sync: false });
        this.publish('alarm', priorityToSeverity(e.priority), e.text, { alarmId: e.alarmId, class: e.class, active: e.active, latched: e.latched, priority: e.priority }, e.rack);
        break;
      case 'notify':
        this.journal.append('notify', { ...e }, this.grouped());
        this.publish('alarm', 'P1', `notify ${e.channel}: ${e.payload.text}`, { notify: e.channel, ...e.payload });
        break;
      case 'recordHandover':
        this.journal.append('handover', { ...e }, this.grouped());
        this.publish('fire.transition', 'P1', `zone ${this.id}: fire department in control (${e.reason})`, { handover: true, ...e });
        break;
      case 'journalNote': this.journal.append(`note.${e.kind}`, { ...e.data, at: e.at }, { sync: false }); break;
      case 'commandResult':
        if (e.commandId) this.commandResults.set(e.commandId, e.ok ? { ok: true } : { ok: false, reason: e.reason ?? 'rejected by the zone' });
        break;
      case 'armDeadline': case 'cancelDeadline': break; // timers follow context.deadlines after each event
    }
  }

  /** Effects run inside process() (group commit): fsynced by the next intent or process()'s flush. */
  private groupCommit = 0;
  private grouped(): { sync: boolean } { return { sync: this.groupCommit === 0 }; }

  private command(actuator: string, op: string, intentId: string, cause: string): void {
    const act = this.actuation!;
    if (this.cmdPending.has(`${actuator}:${op}`)) return; // already queued in this burst (startCommand)
    let oneShot = false;
    try { oneShot = resolveActuator(actuator, op).oneShot; } catch { /* unknown: Actuation reports it */ }
    if (oneShot) {
      // Never a second discharge: already discharged in the field, or already attempted in this
      // incident (maybe written before a crash) → watch its feedback only (FS-31 step 4).
      const w = this.attempted.get(actuator);
      if (dischargedInField(actuator, this.field) === true || (w && w.op === op)) {
        this.verify(actuator, op, intentId);
        return;
      }
      this.attempted.set(actuator, { intentId, op });
    }
    const gen = this.generation;
    this.startCommand(`${actuator}:${op}`, () => {
      if (gen !== this.generation || this.stopped) return;
      void act.execute({ actuator, op, intentId, cause }).then((o: ActuationOutcome) => {
        if (gen !== this.generation || this.stopped) return;
        if (o.ok && Object.keys(o.feedback).length === 0) this.signals.set(actuator, op);
        const ts = this.o.clock.now();
        this.guard(() => this.process(o.ok
          ? { type: 'ACTUATOR.CONFIRMED', actuator, op, intentId, ts }
          : { type: 'ACTUATOR.FAILED', actuator, op, intentId, result: o.result, attempts: o.attempts, ts }, 'actuation'));
      });
    });
  }

  /**
   * The first command of a burst starts at once; the others follow in the order they were issued
   * (rack first, dependency order, FS-09), each in its own turn of the event loop. A stage decision
   * can command ~100 outputs, each with an intent fsynced before its write (FS-30): run in one go,
   * those fsyncs held even the first write (the burning rack's breaker) until the last of them
   * (bench/fire-latency). Write-ahead is unchanged: every write still follows its own durable intent.
   */
  private cmdBurst: (() => void)[] | null = null;
  private cmdPending = new Set<string>();
  private startCommand(key: string, run: () => void): void {
    if (this.cmdBurst) {
      // Queued, not yet started: a repeat of the same command (a reconcile) must neither queue it
      // twice nor, for a one-shot, take it for "already written" and only watch (see command()).
      this.cmdPending.add(key);
      this.cmdBurst.push(() => { this.cmdPending.delete(key); run(); });
      return;
    }
    this.cmdBurst = [];
    run();
    const next = (): void => {
      const f = this.cmdBurst?.shift();
      if (!f) { this.cmdBurst = null; return; }
      try { f(); } finally { setImmediate(next); }
    };
    setImmediate(next);
  }

  private verify(actuator: string, op: string, intentId: string): void {
    const gen = this.generation;
    void this.actuation!.verify({ actuator, op, intentId, cause: 'recovered in-flight one-shot' }).then((o) => {
      if (gen !== this.generation || this.stopped) return;
      const ts = this.o.clock.now();
      this.guard(() => this.process(o.ok
        ? { type: 'ACTUATOR.CONFIRMED', actuator, op, intentId, ts }
        : { type: 'ACTUATOR.FAILED', actuator, op, intentId, result: o.result, attempts: 1, ts }, 'actuation'));
    });
  }

  /** Compare the outputs the latched state requires with the field; command only the difference (§2.6). */
  private reconcile(cause: string): void {
    const actor = this.actor;
    if (!actor || (this.recovering && cause !== 'recovered')) return;
    const ctx = actor.context();
    const required = Object.fromEntries(actor.requiredOutputs().map((r) => [r.actuator, r.op]));
    const view: Record<string, string> = Object.fromEntries(Object.entries(feedbackStates(this.field, this.racks)).map(([a, f]) => [a, f.state]));
    for (const [a, op] of this.signals) view[a] = op;
    // queued to start in this burst (startCommand) counts as in flight: it is about to be written
    const inFlight = Object.fromEntries(Object.keys(required).filter((a) => this.actuation!.isInFlight(a, required[a]!) || this.cmdPending.has(`${a}:${required[a]!}`)).map((a) => [a, required[a]!]));
    for (const c of reconcileOutputs(required, view, inFlight, ctx.affectedRacks)) {
      const rec = ctx.actuators[c.actuator];
      // A failed output is handled by the machine's own path (alternate, hand-over), not retried in a
      // loop here; a restart or a contradiction re-asserts it once.
      if (rec && rec.op === c.op && rec.status === 'failed' && cause !== 'recovered' && cause !== 'contradiction') continue;
      let oneShot = false;
      try { oneShot = resolveActuator(c.actuator, c.op).oneShot; } catch { continue; }
      if (oneShot) {
        // Attempted before in this incident (maybe written before a crash): watch, never write again.
        const w = this.attempted.get(c.actuator);
        if (w && w.op === c.op) { this.verify(c.actuator, c.op, w.intentId); continue; }
      }
      const intentId = `${this.id}-rc-${this.o.clock.now().toString(36)}-${++this.intentSeq}`;
      this.journal.append('reconcile', { actuator: c.actuator, op: c.op, intentId, cause, why: c.reason });
      this.command(c.actuator, c.op, intentId, `reconcile:${cause}`);
    }
  }

  private saveAndPublish(): void {
    const actor = this.actor;
    if (!actor) return;
    this.journal.saveSnapshot(actor.persisted());
    this.o.publisher.publishState(this.id, this.stateDoc());
  }

  stateDoc(): ZoneStateDoc {
    const ctx = this.actor?.context();
    return {
      v: 1, zone: this.id, room: this.o.zone.room, stage: ctx?.stage ?? -1, state: this.actor?.value() ?? null, recovering: this.recovering,
      latched: { ...(ctx?.latched ?? {}) }, affectedRacks: ctx?.affectedRacks ?? [], deadlines: { ...(ctx?.deadlines ?? {}) },
      actuators: { ...(ctx?.actuators ?? {}) }, alarms: Object.fromEntries(Object.entries(ctx?.alarms ?? {}).filter(([, a]) => a.active || !a.acked || a.latched)),
      fdControl: ctx?.fdControl ?? null, lockoff: ctx?.lockoff ?? null, maintenance: ctx?.maintenance ?? null, bypasses: { ...(ctx?.bypasses ?? {}) },
      thermal: ctx?.thermal ?? null, journal: { seq: this.journal.lastSeq, hash: this.journal.lastHash },
      machineVersion: this.o.machine.machineVersion, configHash: this.o.configHash, updatedAt: this.o.clock.now(),
    };
  }

  private publish(kind: Parameters<FirePublisher['publishEvent']>[0]['kind'], severity: Parameters<FirePublisher['publishEvent']>[0]['severity'], message: string, data: Record<string, unknown>, rack?: number): void {
    try {
      const e: Parameters<FirePublisher['publishEvent']>[0] = { kind, ts: this.o.clock.now(), zone: this.id, device: this.o.zone.fireIo, message, data };
      if (severity) e.severity = severity;
      if (rack !== undefined) e.rack = String(rack);
      this.o.publisher.publishEvent(e);
    } catch (err) {
      this.o.log?.error({ err, zone: this.id }, 'fire event publisher threw; event kept in the journal only');
    }
  }

  /** Run zone work; an exception restarts this zone through recovery (FS-38). */
  private guard(fn: () => void): void {
    try { fn(); } catch (err) { this.crash(err as Error); }
  }

  private crash(err: Error): void {
    if (this.stopped) return;
    this.crashes++;
    this.o.log?.error({ err, zone: this.id }, 'fire zone runtime error; restarting the zone through recovery');
    try { this.journal.append('zone.crash', { error: err.message, stack: (err.stack ?? '').split('\n').slice(0, 5).join('\n') }); } catch { /* journal trouble is reported by recovery */ }
    this.publish('alarm', 'P1', `zone ${this.id} runtime error, restarting through recovery: ${err.message}`, { trouble: 'zone.crash' });
    this.teardown();
    const backoff = Math.min(5000, 100 * 2 ** Math.min(this.crashes, 6));
    this.o.clock.setTimer(() => { if (!this.stopped) void this.recover(this.journal.readAll(), 'crash').catch((e: Error) => this.crash(e)); }, backoff);
  }

  private teardown(): void {
    this.generation++;
    if (this.tick !== null) this.o.clock.clearTimer(this.tick);
    this.tick = null;
    this.deadlines?.stop();
    this.actuation?.stop();
    try { this.actor?.stop(); } catch { /* already broken */ }
    this.actor = null;
    this.recovering = true;
  }

  /**
   * FS-36, with the zone idle: carry its machine state (latched alarms, breakers waiting to be
   * re-energized, ...) to a new configuration — the snapshot is re-tagged with the new parameters
   * and config hash, so the zone restarted on them restores it instead of reconstructing from the
   * field. Returns false when there is no running machine to carry.
   */
  carryTo(params: unknown, configHash: string): boolean {
    const actor = this.actor;
    if (!actor || this.recovering) return false;
    const snap = structuredClone(actor.persisted()) as { context?: { params?: unknown } };
    if (!snap.context) return false;
    snap.context.params = params;
    this.journal.setConfigHash(configHash);
    this.journal.saveSnapshot(snap);
    return true;
  }

  stop(): void {
    this.stopped = true;
    this.teardown();
    this.journal.close();
  }
}

export function configHashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

export function zoneDir(root: string, zone: string): string { return join(root, zone); }
