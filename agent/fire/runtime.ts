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
  readonly localKeyFile: string;
  readonly socketPath: string | null;

  constructor(private readonly o: FireRuntimeOptions) {
    this.clock = o.clock ?? systemTimerHost;
    const cfg = o.config;
    const paramsBase = {
      thresholds: cfg.thresholds, timings: { ...cfg.timings, minCountdownWarningMs: cfg.recovery?.minCountdownMs ?? 10_000 }, feedback: cfg.feedback,
      detection: { pollPeriodMs: o.pollPeriodMs ?? 1000 },
    };
    const publisher: FirePublisher = {
      publishEvent: (e) => o.publisher.publishEvent(e),
      publishState: (zone, doc) => { o.publisher.publishState(zone, doc); this.coordinate(); },
      publishCommandResult: (r) => o.publisher.publishCommandResult(r),
    };
    for (const z of cfg.zones) {
      const params = { ...paramsBase, gasEnabled: z.gas?.enabled ?? true };
      this.zones.set(z.id, new ZoneRuntime({
        zone: { id: z.id, room: z.room, fireIo: z.fireIo, bms: z.bms, camera: z.camera, racks: z.racks },
        params, dir: join(o.journalDir, 'zones', z.id),
        configHash: configHashOf(canonicalJson({ params, zone: z })),
        machine: o.machine, io: o.io, clock: this.clock, publisher, timeouts: cfg.feedback,
        fieldReadTimeoutMs: cfg.recovery?.fieldReadTimeoutMs ?? 3000, log: o.log, onEffect: o.onEffect, linkUp: () => this.linkUp,
      }));
    }
    this.siteJournal = new Journal({ dir: join(o.journalDir, 'site'), zone: 'site', clock: this.clock, configHash: configHashOf(canonicalJson(cfg)), machineVersion: o.machine.machineVersion });
    this.localKeyFile = cfg.local?.keyFile ?? join(o.journalDir, 'local.key');
    this.socketPath = o.localSocket === false ? null : o.localSocket ?? cfg.local?.socket ?? join(o.journalDir, 'fire.sock');
  }

  /** Recover every zone (independently) and open command intake. */
  async start(): Promise<void> {
    this.siteJournal.open();
    this.siteJournal.append('agent.start', { zones: [...this.zones.keys()], machineVersion: this.o.machine.machineVersion });
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

  private dispatch(cmd: EdgeCommand, source: CommandSource): DispatchResult {
    if (!cmd.zone) return { ok: false, status: 'rejected', reason: 'fire commands need a zone' };
    const z = this.zones.get(cmd.zone);
    if (!z) return { ok: false, status: 'rejected', reason: `no fire zone '${cmd.zone}' on this agent` };
    const ev = commandToEvent(cmd, this.clock.now(), source);
    if ('error' in ev) return { ok: false, status: 'rejected', reason: ev.error };
    const r = z.dispatch(ev.event);
    return r.ok ? { ok: true, status: 'done', data: { stage: z.stateDoc().stage } } : { ok: false, status: 'rejected', reason: r.reason ?? 'rejected by the zone' };
  }

  /** Site coordination (FS-21 #4): two zones at stage ≥ 3 at once → hand-over trigger to each. */
  private coordinate(): void {
    const hot = [...this.zones.values()].filter((z) => !z.isRecovering && z.stateDoc().stage >= 3);
    if (hot.length < 2) return;
    for (const z of hot) {
      if (this.handoverSent.has(z.id)) continue;
      this.handoverSent.add(z.id);
      this.clock.setTimer(() => z.dispatch({ type: 'HANDOVER.TRIGGER', reason: `zones ${hot.map((h) => h.id).join(', ')} at stage ≥ 3 at once`, ts: this.clock.now() }), 0);
    }
  }

  async stop(): Promise<void> {
    await this.local?.stop();
    for (const z of this.zones.values()) z.stop();
    this.siteJournal.close();
  }
}
