/**
 * Verified edge commands (lib/mqtt-contract.ts COMMAND_KINDS) → zone machine events (§2.4 human
 * events). Authority (roles, two-person rule) and preconditions are the machine's guards; this
 * only maps fields and rejects commands that lack what their event needs, with a reason.
 */
import type { EdgeCommand } from '../../lib/mqtt-contract.js';
import type { HumanFields, ZoneEvent } from '../../statecharts/zone/types.js';
import type { CommandSource } from './commands.js';

const CHANNELS = ['probeA', 'probeB', 'bms', 'camera', 'smoke', 'offgas', 'patch'];

export function commandToEvent(cmd: EdgeCommand, now: number, source: CommandSource): { event: ZoneEvent } | { error: string } {
  const h: HumanFields = { actors: cmd.actors, issuedAt: cmd.issuedAt, commandId: cmd.id, ts: now };
  if (cmd.reason) h.reason = cmd.reason;
  const a = cmd.args ?? {};
  const num = (k: string): number | undefined => (typeof a[k] === 'number' && Number.isFinite(a[k]) ? (a[k] as number) : undefined);
  const str = (k: string): string | undefined => (typeof a[k] === 'string' && (a[k] as string).length ? (a[k] as string) : undefined);
  const expiresAt = () => num('expiresAt') ?? (num('durationMs') !== undefined ? now + num('durationMs')! : undefined);
  switch (cmd.kind) {
    case 'ack': return { event: cmd.target ? { type: 'ACK', alarmId: cmd.target, ...h } : { type: 'ACK', ...h } };
    case 'silence': return { event: { type: 'SILENCE', ...h } };
    case 'reset': return { event: { type: 'RESET', ...h } };
    case 'reenergize': return { event: { type: 'REENERGIZE', ...h } };
    case 'water.stop': return { event: { type: 'WATER.STOP', ...h } };
    // water/gas without confirmed isolation (FS-09/Q4): admin or firedept with a reason, the machine's guard
    case 'isolation.override': return { event: { type: 'ISOLATION.OVERRIDE', ...h } };
    case 'fd.handover': return { event: { type: 'FD.HANDOVER', ...h } };
    case 'fd.release': return { event: { type: 'FD.RELEASE', ...h } };
    case 'incident.controlled': return { event: { type: 'INCIDENT.CONTROLLED', ...h } };
    case 'watch.end': return { event: { type: 'WATCH.END', ...h } };
    case 'maint.exit': return { event: { type: 'MAINT.EXIT', ...h } };
    case 'drill.end': return { event: { type: 'DRILL.END', ...h } };
    case 'manual.release': return { event: { type: 'MANUAL_RELEASE', source: `command:${source}:${cmd.actors.map((x) => x.user).join('+')}`, actors: cmd.actors, commandId: cmd.id, ts: now } };
    case 'bypass.start': case 'bypass.end': {
      const rack = num('rack');
      const channel = str('channel');
      if (rack === undefined || !channel || !CHANNELS.includes(channel)) return { error: `${cmd.kind} needs args.rack (number) and args.channel (one of ${CHANNELS.join(', ')})` };
      if (cmd.kind === 'bypass.end') return { event: { type: 'BYPASS.END', rack, channel: channel as never, ...h } };
      const permitId = str('permitId');
      const exp = expiresAt();
      if (!permitId || exp === undefined) return { error: 'bypass.start needs args.permitId and args.expiresAt or args.durationMs (FS-27)' };
      return { event: { type: 'BYPASS.START', rack, channel: channel as never, permitId, expiresAt: exp, impairmentDeclared: a.impairmentDeclared === true, ...h } };
    }
    case 'maint.enter': {
      const permitId = str('permitId');
      const exp = expiresAt();
      const inhibit = Array.isArray(a.inhibit) ? a.inhibit.filter((x): x is string => typeof x === 'string') : typeof a.inhibit === 'string' ? a.inhibit.split(',') : [];
      if (!permitId || exp === undefined) return { error: 'maint.enter needs args.permitId and args.expiresAt or args.durationMs (FS-28)' };
      return { event: { type: 'MAINT.ENTER', permitId, inhibit, expiresAt: exp, ...h } };
    }
    case 'drill.start': {
      const exp = expiresAt();
      if (exp === undefined) return { error: 'drill.start needs args.expiresAt or args.durationMs (FS-29)' };
      return { event: { type: 'DRILL.START', drillId: str('drillId') ?? cmd.id, expiresAt: exp, ...h } };
    }
    case 'config.apply':
      return { error: 'config.apply is handled by the fire runtime, not by a zone' };
    // FS-25: the console shelves an edge alarm here (target = the zone's alarm id)
    case 'shelve': {
      const until = expiresAt();
      if (!cmd.target || until === undefined) return { error: 'shelve needs target (the alarm id) and args.expiresAt or args.durationMs (FS-25)' };
      return { event: { type: 'SHELVE', alarmId: cmd.target, untilTs: until, ...h } };
    }
    case 'unshelve':
      if (!cmd.target) return { error: 'unshelve needs target (the alarm id)' };
      return { event: { type: 'UNSHELVE', alarmId: cmd.target, ...h } };
  }
  return { error: `unknown command kind ${String(cmd.kind)}` };
}
