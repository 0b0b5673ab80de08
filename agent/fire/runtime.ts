/**
 * The fire runtime of one agent (FIRE-SAFETY §2.1): one ZoneRuntime per fire zone, each with its
 * own journal, snapshot, machine, voter, deadlines and actuation (FS-38), plus the site-level
 * parts: command intake (MQTT and local, FS-32), the local control socket, and the site
 * coordination that is not a zone's (two zones at stage ≥ 3 → hand-over trigger, FS-21).
 *
 * The agent wires it with: an IO port (Modbus driver writes), the normalised point stream
 * (`ingest`), an event publisher (events never dropped), and the MQTT `cmd` subscription
 * (`handleCommand`). See README.md "Wiring".
 */
import { join } from 'node:path';
import { canonicalJson } from '../../lib/command-signing.js';
import type { Logger } from '../../lib/log.js';
import type { CommandResult, EdgeCommand } from '../../lib/mqtt-contract.js';
import type { Point } from '../../lib/points.js';
import type { FireIoPort } from './actuation.js';
import { systemTimerHost, type TimerHost } from './clock.js';
import { CommandIntake, type CommandSource, type DispatchResult } from './commands.js';
import { commandToEvent } from './command-events.js';
import type { FireConfig } from './config-schema.js';
import { checkFireSection, ConfigChangeStore, fireConfigHash, journaledStage, type PendingConfig } from './config-change.js';
import { Journal } from './journal.js';
import { ensureLocalKey, LOCAL_ISSUER, LocalControlServer } from './local-control.js';
import type { FirePublisher, ZoneStateDoc } from './publish.js';
import { configHashOf, ZoneRuntime } from './zone-runtime.js';
import type { ZoneMachinePort } from './zone-port.js';
import type { Effect } from '../../statecharts/zone/types.js';

export interface FireRuntimeOptions {
  site: string;
  agent: string;
  config: FireConfig;
  /** Resolved journal root (config.journalDir, else <dataDir>/fire). */
  journalDir: string;
  io: FireIoPort;
  publisher: FirePublisher;
  machine: ZoneMachinePort;
  /** The server's command key for this agent (from config.commandKeyFile); absent → only local commands. */
  commandKey?: string;
  /** Poll period of the fire points (staleness limits of the voter, FS-01). */
  pollPeriodMs?: number;
  clock?: TimerHost;
  log?: Logger;
  /** Unix socket for `dcim fire`; false disables it. Default <journalDir>/fire.sock. */
  localSocket?: string | false;
  onEffect?: (zone: string, e: Effect) => void;
}

export class FireRuntime {
  readonly zones = new Map<string, ZoneRuntime>();
  private siteJournal: Journal;
  private intake: CommandIntake | null = null;
  private local: LocalControlServer | null = null;
  private clock: TimerHost;
  private handoverSent = new Set<string>();
  private linkUp = false;
  /** The fire configuration in effect (FS-36: may lag the configured one while an incident runs). */
  private cfg: FireConfig;
  private readonly changes: ConfigChangeStore;
  private readonly zonePublisher: FirePublisher;
  private applying = false;
  private stopping = false;
  /** What start() must journal about the configuration it found (FS-36). */
  private startNote: { type: 'config.applied' | 'config.deferred'; data: Record<string, unknown> } | null = null;
  readonly localKeyFile: string;
  readonly socketPath: string | null;

  constructor(private readonly o: FireRuntimeOptions) {
    this.clock = o.clock ?? systemTimerHost;
    this.zonePublisher = {
      publishEvent: (e) => o.publisher.publishEvent(e),
      publishState: (zone, doc) => { o.publisher.publishState(zone, doc); this.coordinate(); },
      publishCommandResult: (r) => o.publisher.publishCommandResult(r),
    };
    this.changes = new ConfigChangeStore(join(o.journalDir, 'site'));
    this.cfg = this.configAtStart(o.config);
    this.buildZones(this.cfg);
    this.siteJournal = new Journal({ dir: join(o.journalDir, 'site'), zone: 'site', clock: this.clock, configHash: fireConfigHash(this.cfg), machineVersion: o.machine.machineVersion });
    this.localKeyFile = o.config.local?.keyFile ?? join(o.journalDir, 'local.key');
    this.socketPath = o.localSocket === false ? null : o.localSocket ?? o.config.local?.socket ?? join(o.journalDir, 'fire.sock');
  }

  /** One ZoneRuntime per configured zone, on the given (effective) configuration. */
  private buildZones(cfg: FireConfig): void {
    const o = this.o;
    const publisher = this.zonePublisher;
    for (const z of cfg.zones) {
      const { params, configHash } = this.zoneSetup(cfg, z);
      this.zones.set(z.id, new ZoneRuntime({
        zone: { id: z.id, room: z.room, fireIo: z.fireIo, bms: z.bms, camera: z.camera, racks: z.racks },
        params, dir: join(o.journalDir, 'zones', z.id), configHash,
        machine: o.machine, io: o.io, clock: this.clock, publisher, timeouts: cfg.feedback,
        fieldReadTimeoutMs: cfg.recovery?.fieldReadTimeoutMs ?? 3000, log: o.log, onEffect: o.onEffect, linkUp: () => this.linkUp,
      }));
    }
  }

  /** A zone's machine parameters and the config hash its journal records carry. */
  private zoneSetup(cfg: FireConfig, z: FireConfig['zones'][number]): { params: Record<string, unknown>; configHash: string } {
    const o = this.o;
    const paramsBase = {
      thresholds: cfg.thresholds, timings: { ...cfg.timings, minCountdownWarningMs: cfg.recovery?.minCountdownMs ?? 10_000 }, feedback: cfg.feedback,
      detection: { pollPeriodMs: o.pollPeriodMs ?? 1000, ...(cfg.detection ?? {}) },
    };
    const params = { ...paramsBase, gasEnabled: z.gas?.enabled ?? true };
    return { params, configHash: configHashOf(canonicalJson({ params, zone: z })) };
  }

  /**
   * FS-36 at start: a configuration that differs from the one in effect applies only when no zone
   * is above idle/watch in its journal; otherwise the zones keep the configuration in effect and
   * the new one waits (deferred) until every zone is back to idle.
   */
  private configAtStart(configured: FireConfig): FireConfig {
    const hash = fireConfigHash(configured);
    const eff = this.changes.effective();
    if (!eff || eff.hash === hash) return configured;
    const active = eff.fire.zones.map((z) => ({ zone: z.id, stage: journaledStage(this.o.journalDir, z.id) })).filter((z) => z.stage >= 0);
    if (!active.length) {
      this.startNote = { type: 'config.applied', data: { hash, previous: eff.hash, source: 'restart' } };
      return configured;
    }
    const pending: PendingConfig = { hash, fire: configured, actors: [], reason: 'agent restarted with a changed configuration', requestedAt: this.clock.now(), source: 'restart' };
    this.changes.savePending(pending);
    this.startNote = { type: 'config.deferred', data: { hash, inEffect: eff.hash, source: 'restart', activeZones: active } };
    return eff.fire;
  }

  /** Recover every zone (independently) and open command intake. */
  async start(): Promise<void> {
    this.siteJournal.open();
    this.siteJournal.append('agent.start', { zones: [...this.zones.keys()], machineVersion: this.o.machine.machineVersion, configHash: fireConfigHash(this.cfg) });
    if (this.startNote) {
      this.siteJournal.append(this.startNote.type, this.startNote.data);
      this.o.publisher.publishEvent({ kind: 'fire.journal', ts: this.clock.now(), severity: this.startNote.type === 'config.deferred' ? 'P3' : 'info', message: this.startNote.type === 'config.deferred' ? 'fire configuration change deferred: a zone is above idle/watch (FS-36)' : 'fire configuration changed at restart', data: this.startNote.data });
    }
    if (!this.startNote || this.startNote.type === 'config.applied') this.changes.saveEffective({ hash: fireConfigHash(this.cfg), fire: this.cfg, appliedAt: this.clock.now() });
    const keys: Record<string, string> = { [LOCAL_ISSUER]: ensureLocalKey(this.localKeyFile) };
    if (this.o.commandKey) keys['*'] = this.o.commandKey;
    this.intake = new CommandIntake({
      keys, seqFile: join(this.o.journalDir, 'site', 'command-seq.json'), clock: this.clock, log: this.o.log,
      journal: (type, data, zone) => {
        this.siteJournal.append(type, data);
        const z = zone ? this.zones.get(zone) : undefined;
        if (z?.journal.isOpen) z.journal.append(type, data);
        if (type !== 'command.result') this.o.publisher.publishEvent({ kind: 'command.audit', ts: this.clock.now(), ...(zone ? { zone } : {}), severity: type === 'command.rejected' ? 'P3' : 'info', message: `${type}: ${String(data.kind ?? '')} ${String(data.reason ?? '')}`.trim(), data });
      },
      dispatch: (cmd, source) => Promise.resolve(this.dispatch(cmd, source)),
      publishResult: (r) => this.o.publisher.publishCommandResult(r),
    });
    this.intake.start();
    const results = await Promise.allSettled([...this.zones.values()].map((z) => z.start()));
    results.forEach((r, i) => { if (r.status === 'rejected') this.o.log?.error({ err: r.reason, zone: [...this.zones.keys()][i] }, 'fire zone failed to start'); });
    if (this.socketPath) {
      this.local = new LocalControlServer({
        socket: this.socketPath,
        handleCommand: (body) => this.handleCommand(body, 'local'),
        state: () => this.state(),
        now: () => this.clock.now(),
        journal: (zone, after) => { const z = this.zones.get(zone); return z ? z.journal.readAll().filter((r) => r.seq > after) : null; },
      });
      await this.local.start();
    }
  }

  /** Normalised points from the agent (any device); each zone takes its own. */
  ingest(points: readonly Point[]): void {
    for (const z of this.zones.values()) {
      const mine = points.filter((p) => z.owns(p));
      if (mine.length) z.ingest(mine);
    }
  }

  /** A command from MQTT (`cmd` topic payload) or the local CLI. Never throws. */
  handleCommand(raw: unknown, source: CommandSource = 'mqtt'): Promise<CommandResult> {
    if (!this.intake) return Promise.resolve({ v: 1, id: 'unknown', ok: false, status: 'rejected', reason: 'fire runtime not started', ts: this.clock.now() });
    return this.intake.handle(raw, source);
  }

  /** The server link (MQTT) went up or down: a trouble only, never a guard on the incident (FS-32). */
  setLink(up: boolean): void {
    this.linkUp = up;
    for (const z of this.zones.values()) z.dispatch({ type: up ? 'LINK.UP' : 'LINK.DOWN', ts: this.clock.now() });
  }

  state(): ZoneStateDoc[] { return [...this.zones.values()].map((z) => z.stateDoc()); }

  private dispatch(cmd: EdgeCommand, source: CommandSource): DispatchResult | Promise<DispatchResult> {
    if (cmd.kind === 'config.apply') return this.requestConfig(cmd);
    if (!cmd.zone) return { ok: false, status: 'rejected', reason: 'fire commands need a zone' };
    const z = this.zones.get(cmd.zone);
    if (!z) return { ok: false, status: 'rejected', reason: `no fire zone '${cmd.zone}' on this agent` };
    const ev = commandToEvent(cmd, this.clock.now(), source);
    if ('error' in ev) return { ok: false, status: 'rejected', reason: ev.error };
    const r = z.dispatch(ev.event);
    return r.ok ? { ok: true, status: 'done', data: { stage: z.stateDoc().stage } } : { ok: false, status: 'rejected', reason: r.reason ?? 'rejected by the zone' };
  }

  /** The fire configuration in effect and the one waiting for every zone to be idle (FS-36). */
  configState(): { effective: string; pending: { hash: string; reason: string; requestedAt: number; source: string } | null } {
    const p = this.changes.pending();
    return { effective: fireConfigHash(this.cfg), pending: p ? { hash: p.hash, reason: p.reason, requestedAt: p.requestedAt, source: p.source } : null };
  }

  /**
   * FS-36 `config.apply` (args.fire = the new fire section): admin and a reason; validated; applied
   * at once while every zone is idle/watch, else deferred until they are (after their resets).
   */
  private async requestConfig(cmd: EdgeCommand): Promise<DispatchResult> {
    if (!cmd.actors.some((a) => a.role === 'admin')) return { ok: false, status: 'rejected', reason: 'a configuration change needs an admin (FS-36)' };
    if (!cmd.reason?.trim()) return { ok: false, status: 'rejected', reason: 'a configuration change needs a reason (FS-36)' };
    const checked = checkFireSection(cmd.args?.fire);
    if (!checked.ok) return { ok: false, status: 'rejected', reason: `invalid fire configuration: ${checked.problems.join('; ')}` };
    const hash = fireConfigHash(checked.fire);
    if (hash === fireConfigHash(this.cfg)) {
      this.changes.clearPending();
      return { ok: true, status: 'done', data: { hash, unchanged: true } };
    }
    const pending: PendingConfig = { hash, fire: checked.fire, actors: cmd.actors, reason: cmd.reason, requestedAt: this.clock.now(), source: 'command' };
    const active = this.activeZones();
    if (active.length || this.applying) {
      this.changes.savePending(pending);
      const data = { hash, inEffect: fireConfigHash(this.cfg), source: 'command', activeZones: active, actors: cmd.actors, reason: cmd.reason, commandId: cmd.id };
      this.siteJournal.append('config.deferred', data);
      for (const z of active) this.zones.get(z.zone)?.journal.append('config.deferred', data);
      this.o.publisher.publishEvent({ kind: 'fire.journal', ts: this.clock.now(), severity: 'P3', message: `fire configuration change deferred until ${active.map((z) => z.zone).join(', ') || 'the zones'} are back to idle (FS-36)`, data });
      return { ok: true, status: 'accepted', data: { deferred: true, hash, activeZones: active } };
    }
    await this.apply(pending);
    return { ok: true, status: 'done', data: { hash, applied: true } };
  }

  private activeZones(): { zone: string; stage: number }[] {
    return [...this.zones.values()].filter((z) => z.isRecovering || z.stateDoc().stage >= 0).map((z) => ({ zone: z.id, stage: z.stateDoc().stage }));
  }

  /** Apply a configuration with every zone idle: the zones restart on it (recovery reads the field again). */
  private async apply(p: PendingConfig): Promise<void> {
    this.applying = true;
    try {
      const previous = fireConfigHash(this.cfg);
      const carried: string[] = [];
      for (const z of this.zones.values()) {
        const next = p.fire.zones.find((n) => n.id === z.id);
        const old = this.cfg.zones.find((n) => n.id === z.id);
        // Same zone, same racks: its state carries over; otherwise it starts from the field.
        if (next && old && next.racks === old.racks && next.fireIo === old.fireIo) {
          const { params, configHash } = this.zoneSetup(p.fire, next);
          if (z.carryTo(params, configHash)) carried.push(z.id);
        }
        z.stop();
      }
      this.zones.clear();
      this.cfg = p.fire;
      this.siteJournal.setConfigHash(p.hash);
      this.changes.saveEffective({ hash: p.hash, fire: p.fire, appliedAt: this.clock.now() });
      this.changes.clearPending();
      const data = { hash: p.hash, previous, source: p.source, actors: p.actors, reason: p.reason, requestedAt: p.requestedAt, carried };
      this.siteJournal.append('config.applied', data);
      this.buildZones(p.fire);
      const results = await Promise.allSettled([...this.zones.values()].map((z) => z.start()));
      results.forEach((r, i) => { if (r.status === 'rejected') this.o.log?.error({ err: r.reason, zone: [...this.zones.keys()][i] }, 'fire zone failed to start on the new configuration'); });
      for (const z of this.zones.values()) if (z.journal.isOpen) z.journal.append('config.applied', data);
      this.o.publisher.publishEvent({ kind: 'fire.journal', ts: this.clock.now(), severity: 'info', message: `fire configuration ${p.hash.slice(0, 12)} applied (${p.source}${p.reason ? `: ${p.reason}` : ''})`, data });
    } finally {
      this.applying = false;
    }
  }

  /** A deferred configuration applies once every zone is back to idle/watch. */
  private applyPendingWhenIdle(): void {
    if (this.applying || this.stopping) return;
    const p = this.changes.pending();
    if (!p || this.activeZones().length) return;
    this.applying = true;
    this.clock.setTimer(() => {
      this.applying = false;
      if (this.stopping || this.activeZones().length) return;
      void this.apply(p).catch((err: Error) => this.o.log?.error({ err: err.message }, 'deferred fire configuration failed to apply'));
    }, 0);
  }

  /** Site coordination (FS-21 #4): two zones at stage ≥ 3 at once → hand-over trigger to each. */
  private coordinate(): void {
    this.applyPendingWhenIdle();
    const hot = [...this.zones.values()].filter((z) => !z.isRecovering && z.stateDoc().stage >= 3);
    if (hot.length < 2) return;
    for (const z of hot) {
      if (this.handoverSent.has(z.id)) continue;
      this.handoverSent.add(z.id);
      this.clock.setTimer(() => z.dispatch({ type: 'HANDOVER.TRIGGER', reason: `zones ${hot.map((h) => h.id).join(', ')} at stage ≥ 3 at once`, ts: this.clock.now() }), 0);
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.local?.stop();
    for (const z of this.zones.values()) z.stop();
    this.siteJournal.close();
  }
}
