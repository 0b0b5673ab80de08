/**
 * The operational side assembled: records, auth, alarms, status, notifications, incidents,
 * drills, fire zones, commands and the live stream, plus the hooks that feed them from agents
 * (onEvent / onPoints for server/ingest, onAgentStatus, onFireState, onCommandResult for the MQTT
 * link). Timers (`start`) run the 1 s tick and the status evaluation; `close` stops everything.
 */
import { join } from 'node:path';
import type { Logger } from '../lib/log.js';
import type { AgentEvent, CommandResult } from '../lib/mqtt-contract.js';
import type { Point } from '../lib/points.js';
import { agentKey, type ServerConfig } from './config.js';
import { Records } from './records/db.js';
import { Repos } from './records/repos.js';
import { AuthService } from './auth/service.js';
import { Bus } from './stream/bus.js';
import { StreamHub } from './stream/hub.js';
import { AlarmService } from './alarms/service.js';
import { RuleEngine } from './alarms/rules.js';
import { buildEdgeAlarm, edgeAlarmFields, edgeKey, type EdgeAlarmFields } from './alarms/mirror.js';
import { StatusEngine } from './status/engine.js';
import { FireZones } from './status/fire-zones.js';
import { NotifyService } from './notify/service.js';
import { buildChannels } from './notify/channels/index.js';
import { IncidentService } from './incidents/service.js';
import { DrillService } from './incidents/drills.js';
import { CommandService } from './commands/service.js';
import { isAnnunciated, isUnacked } from './alarms/isa.js';

export interface OpsOptions {
  config: ServerConfig;
  log: Logger;
  /** ':memory:' for tests; default `${dataDir}/records.duckdb`. */
  recordsPath?: string;
  now?: () => number;
}

export interface Ops {
  config: ServerConfig; site: string; log: Logger; now: () => number;
  records: Records; repos: Repos; auth: AuthService; bus: Bus; hub: StreamHub; alarms: AlarmService; rules: RuleEngine;
  status: StatusEngine; fire: FireZones; notify: NotifyService; incidents: IncidentService; drills: DrillService; commands: CommandService;
  counters: { events: number; eventsRejected: number; eventsDuplicate: number; points: number; results: number; resultsRejected: number };
  onEvent(ev: AgentEvent): void;
  onPoints(points: Point[], agent?: string): void;
  onAgentStatus(site: string, agent: string, online: boolean, ts: number): void;
  onFireState(site: string, agent: string, zone: string, doc: Record<string, unknown>): void;
  onCommandResult(site: string, agent: string, res: CommandResult): void;
  tick(): Promise<void>;
  /** Resolves when queued event handling (incident journal writes) and notifications are done. */
  idle(): Promise<void>;
  start(): void;
  close(): Promise<void>;
}

export async function createOps(o: OpsOptions): Promise<Ops> {
  const cfg = o.config;
  const now = o.now ?? Date.now;
  const log = o.log;
  const site = cfg.site ?? 'sim1';
  const records = await Records.open(o.recordsPath ?? join(cfg.dataDir ?? 'data', 'records.duckdb'));
  const repos = new Repos(records);
  const bus = new Bus(log);
  const hub = new StreamHub(bus);
  const auth = new AuthService(repos, { scryptCost: cfg.auth?.scryptCost ?? 17, sessionTtlMs: (cfg.auth?.sessionTtlMin ?? 480) * 60_000, now });
  const a = cfg.alarms ?? {};
  const alarms = new AlarmService(repos, bus, log.child({ c: 'alarms' }), { now, reAlarmMs: (a.reAlarmS ?? 300) * 1000, minAnnunciationMs: (a.minAnnunciationS ?? 60) * 1000, floodThreshold: a.floodThreshold ?? 10,
    floodWindowMs: (a.floodWindowS ?? 600) * 1000, chatterPerMin: a.chatterPerMin ?? 3 });
  const rules = new RuleEngine(a.rules ?? [], site, alarms, repos, now);
  const channels = buildChannels(cfg.notify?.channels ?? [], bus);
  const notify = new NotifyService(repos, bus, log.child({ c: 'notify' }), { now, routes: cfg.notify?.routes ?? [], recipients: cfg.notify?.recipients ?? [], channels,
    getAlarm: (id) => alarms.get(id), inFlood: () => alarms.floodState() !== null });
  const status = new StatusEngine(cfg.dependencies ?? [], bus, {
    now, evaluateEveryS: cfg.status?.evaluateEveryS ?? 30, unknownToDownS: cfg.status?.unknownToDownS ?? 180, defaultIntervalS: cfg.status?.defaultIntervalS ?? 60,
    alarms: () => alarms.list(),
    notifyOwners: (n) => notify.owner(n.owner, { kind: 'status', subjectId: n.root, subject: `${n.status}: ${n.root}`, level: 0, drill: n.drill, ts: now(),
      text: `${n.reason}. Affected: ${n.nodes.join(', ')}`, data: { root: n.root, nodes: n.nodes, status: n.status } }),
  });
  const fire = new FireZones(bus);
  const incidents = new IncidentService(repos, bus, log.child({ c: 'incidents' }), {
    now, recoveryTargetMin: cfg.incidents?.recoveryTargetMin ?? { '1': 30, '2': 60, '3': 240 },
    onGrade: (i, why) => notify.broadcast({ kind: 'incident', subjectId: i.id, subject: `Incident grade ${i.grade}: ${i.title}`, text: `${why}. Step: ${i.step}.`,
      priority: `P${i.grade}`, level: 0, drill: i.drill, ts: now(), data: { incidentId: i.id, grade: i.grade } }, `P${i.grade}`),
  });
  const drills = new DrillService(repos, bus, now);
  const commands = new CommandService(repos, bus, log.child({ c: 'commands' }), { now, issuer: cfg.issuer ?? `server-${site}`, keyFor: (ag) => agentKey(cfg, ag) });
  await Promise.all([alarms.load(), rules.load(), incidents.load(), drills.load(), commands.load()]);
  const detachNotify = notify.attach();

  // Link alarms to the open incident of their zone; record the first acknowledgement (t_ack).
  bus.on((m) => {
    if (m.topic !== 'alarm') return;
    const al = m.data.alarm as { id: string; site: string; zone?: string; state: string; ackedAt?: number; incidentId?: string };
    const inc = incidents.openForZone(al.site, al.zone);
    if (!inc || !al.zone) return;
    if (al.incidentId !== inc.id) alarms.setIncident(al.id, inc.id);
    void incidents.linkAlarm(inc.id, al.id, m.data.change === 'ack' || al.state === 'ACKED' || al.state === 'LATCH_ACK' ? (al.ackedAt ?? m.ts) : undefined);
  });
  // An incident declared for a zone adopts the zone's alarms already standing.
  bus.on((m) => {
    if (m.topic !== 'incident' || m.data.change !== 'declared') return;
    const inc = m.data.incident as { id: string; site: string; zone?: string };
    if (!inc.zone) return;
    for (const al of alarms.list({ zone: inc.zone })) {
      if (al.site !== inc.site || !isAnnunciated(al.state)) continue;
      alarms.setIncident(al.id, inc.id);
      void incidents.linkAlarm(inc.id, al.id, al.ackedAt);
    }
  });
  // FS-26: a zone isolated by its fire sequence (stage ≥ 1, not a drill) suppresses its consequential
  // device alarms by design until the zone is reset.
  bus.on((m) => {
    if (m.topic !== 'fire') return;
    const d = m.data as { site?: string; zone?: string; maxStage?: number; drill?: boolean };
    if (typeof d.site !== 'string' || typeof d.zone !== 'string' || typeof d.maxStage !== 'number') return;
    alarms.setZoneIsolated(d.site, d.zone, d.maxStage >= 1 && d.drill !== true);
  });
  // Status re-evaluates on every alarm change.
  bus.on((m) => { if (m.topic === 'alarm' && m.data.change !== 'repeat') status.evaluate(); });

  const counters = { events: 0, eventsRejected: 0, eventsDuplicate: 0, points: 0, results: 0, resultsRejected: 0 };
  const seenSeq = new Map<string, Set<number>>();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = (fn: () => Promise<unknown>) => { chain = chain.then(fn, fn).catch((err: Error) => log.error({ err }, 'event handling failed')); };
  const timers: NodeJS.Timeout[] = [];
  let ticks = 0;

  const ops: Ops = {
    config: cfg, site, log, now, records, repos, auth, bus, hub, alarms, rules, status, fire, notify, incidents, drills, commands, counters,

    onEvent(ev) {
      // Idempotent per (agent, epoch, seq): a redelivered event is counted, not applied twice; late ones (gap fills) pass.
      const k = `${ev.site}/${ev.agent}/${ev.epoch}`;
      let seen = seenSeq.get(k);
      if (!seen) { seen = new Set(); seenSeq.set(k, seen); }
      if (seen.has(ev.seq)) { counters.eventsDuplicate++; return; }
      seen.add(ev.seq);
      if (seen.size > 20_000) for (const x of [...seen].sort((a, b) => a - b).slice(0, 10_000)) seen.delete(x);
      counters.events++;
      const drill = ev.data?.drill === true || drills.active(ev.site, ev.zone, ev.ts) !== undefined;
      try {
        switch (ev.kind) {
          case 'alarm': {
            const f = edgeAlarmFields(ev);
            if (!f) { fire.onEvent({ site: ev.site, agent: ev.agent, zone: ev.zone, rack: ev.rack, kind: 'notify', ts: ev.ts, message: ev.message, data: ev.data, drill }); break; }
            const prev = alarms.byKeyGet(edgeKey(ev.site, ev.agent, ev.zone, f.alarmId));
            alarms.mirror(buildEdgeAlarm(ev.site, ev.agent, ev.zone, { ...f, drill: drill || f.drill }, ev.ts, ev.message, ev.severity, prev));
            break;
          }
          case 'fire.transition': case 'fire.actuation': case 'fire.journal': {
            const stage = fire.onEvent({ site: ev.site, agent: ev.agent, zone: ev.zone, rack: ev.rack, kind: ev.kind, ts: ev.ts, message: ev.message, data: ev.data, drill });
            if (stage) serial(() => incidents.fireStage({ site: ev.site, zone: ev.zone, stage, ts: ev.ts, message: ev.message, agent: ev.agent, drill }));
            if (ev.data?.event === 'building.power.cut') status.setPlannedCut({ since: ev.ts, by: `agent:${ev.agent}`, reason: ev.message });
            break;
          }
          case 'drill': {
            const id = typeof ev.data?.drillId === 'string' ? ev.data.drillId : `${ev.agent}:${ev.seq}`;
            if (ev.data?.state === 'end' || ev.data?.state === 'aborted') {
              try { drills.end(id, (ev.data?.report as Record<string, unknown>) ?? undefined, ev.data?.state === 'aborted'); } catch { /* unknown or ended drill: counted below */ counters.eventsRejected++; }
            } else drills.start({ scenario: String(ev.data?.scenario ?? ev.message), site: ev.site, zone: ev.zone, by: `agent:${ev.agent}`, externalId: id, startedAt: ev.ts });
            break;
          }
          case 'device.status':
            if (ev.device) status.seen(ev.device, ev.agent, ev.ts);
            break;
          case 'link': case 'agent.lifecycle':
            bus.emit('agent', ev.ts, { site: ev.site, agent: ev.agent, kind: ev.kind, message: ev.message, data: ev.data ?? {} });
            break;
          default:
            break;
        }
      } catch (err) {
        counters.eventsRejected++;
        log.warn({ agent: ev.agent, seq: ev.seq, err: (err as Error).message }, 'agent event rejected');
      }
    },

    onPoints(points, agent) {
      counters.points += points.length;
      let lastDevice = '';
      for (const p of points) {
        rules.onPoint(p);
        if (p.device !== lastDevice) { status.seen(p.device, agent, p.ts); lastDevice = p.device; }
      }
      hub.onPoints(points);
    },

    onAgentStatus(s, agent, online, ts) {
      status.agentState(agent, online, ts);
      bus.emit('agent', ts, { site: s, agent, online });
    },

    onFireState(s, agent, zone, doc) {
      fire.onState(s, agent, zone, doc, now());
      // The zone document lists the edge's alarms with their acknowledgement: mirror them; an alarm
      // that left the list was acknowledged (non-latched, inactive) or reset.
      const list = doc.alarms;
      if (!list || typeof list !== 'object' || Array.isArray(list)) return;
      const ts = typeof doc.updatedAt === 'number' ? doc.updatedAt : now();
      const present = new Set<string>();
      for (const [id, rec] of Object.entries(list as Record<string, unknown>)) {
        if (!rec || typeof rec !== 'object') { counters.eventsRejected++; continue; }
        present.add(id);
        try {
          const prev = alarms.byKeyGet(edgeKey(s, agent, zone, id));
          const r = rec as Record<string, unknown>;
          alarms.mirror(buildEdgeAlarm(s, agent, zone, { ...(r as Omit<EdgeAlarmFields, 'alarmId'>), alarmId: id }, ts, typeof r.text === 'string' ? r.text : id, undefined, prev));
        } catch { counters.eventsRejected++; }
      }
      // The document is the edge's whole alarm list: one that is not in it does not exist at the edge
      // any more (acknowledged and cleared, reset, or dropped by a recovery) → NORM, inactive.
      for (const a of alarms.edgeAlarms(s, agent, zone)) {
        if (present.has(a.edgeId ?? '') || (a.state === 'NORM' && !a.active)) continue;
        alarms.mirror({ ...a, state: 'NORM', active: false, clearedAt: a.active ? ts : a.clearedAt, lastAt: ts, ackedBy: a.ackedBy ?? 'edge', ackedAt: a.ackedAt ?? ts });
      }
    },

    onCommandResult(_s, _agent, res) {
      counters.results++;
      const c = commands.onResult(res);
      if (!c) { counters.resultsRejected++; return; }
      if (c.kind === 'ack' && res.ok && c.zone) {
        // The edge accepted the acknowledgement: mirror it now (the zone document confirms it too).
        for (const a of alarms.edgeAlarms(c.site, c.agent, c.zone)) {
          if (c.target && a.edgeId !== c.target) continue;
          if (!isUnacked(a.state)) continue;
          alarms.mirror(buildEdgeAlarm(c.site, c.agent, c.zone, { alarmId: a.edgeId!, acked: true, active: a.active, latched: a.latched, priority: a.priority, class: a.class, text: a.message }, res.ts, a.message, undefined, { ...a, ackedBy: c.actors[0]?.user, ackedAt: res.ts }));
        }
      }
      if (c.zone) fire.note(c.site, c.zone, c.agent, { ts: res.ts, kind: 'command.result', message: `${c.kind} ${res.status}${res.reason ? `: ${res.reason}` : ''}`, actor: c.actors.map((x) => x.user).join('+') });
      const inc = c.zone ? incidents.openForZone(c.site, c.zone) : undefined;
      if (inc) serial(() => incidents.journal(inc.id, 'system', 'command', `command ${c.kind} by ${c.actors.map((x) => x.user).join(' + ')} → ${res.status}${res.reason ? ` (${res.reason})` : ''}`, { commandId: c.id }));
    },

    async idle() {
      let c: Promise<unknown>;
      do { c = chain; await c; } while (c !== chain);
      await notify.idle();
    },

    async tick() {
      if (++ticks % 600 === 0) await repos.deleteExpiredSessions(now());
      alarms.tick();
      rules.tick();
      notify.tick();
      await incidents.tick();
    },

    start() {
      const t1 = setInterval(() => { void ops.tick().catch((err: Error) => log.error({ err }, 'tick failed')); }, 1000);
      const t2 = setInterval(() => status.evaluate(), (cfg.status?.evaluateEveryS ?? 30) * 1000);
      t1.unref(); t2.unref();
      timers.push(t1, t2);
      status.evaluate();
    },

    async close() {
      for (const t of timers) clearInterval(t);
      hub.close();
      detachNotify();
      await chain;
      await notify.close();
      await records.close();
    },
  };
  return ops;
}
