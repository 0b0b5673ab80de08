/**
 * FS-26 chattering at the edge (R49: an alarm that becomes active ≥ 3 times a minute), pure over a
 * Tx. The activation history lives on the AlarmRecord (bounded), so it survives a snapshot and
 * needs no timer of its own; the off-delay is a named deadline `alarmOff:{id}` in context, which the
 * runtime arms like any other. Fire alarms and P1 are never held, flagged or quietened.
 */
import type { Tx } from './tx.js';
import type { AlarmClass, Priority } from './types.js';

/** R49: this many activations within CHATTER_WINDOW_MS make an alarm chattering. */
export const CHATTER_COUNT = 3;
export const CHATTER_WINDOW_MS = 60_000;
/** A chattering alarm returns to normal only after it has stayed normal this long. */
export const CHATTER_OFF_DELAY_MS = 60_000;
/** Activation times kept on the record (bounded: the snapshot and the zone document stay small). */
export const ACTIVATIONS_KEPT = 5;

export const offDelayName = (id: string): string => `alarmOff:${id}`;

/** Life-safety alarms (fire alarms, P1) are annunciated at every activation and never held. */
export const alwaysAnnunciated = (cls: AlarmClass, priority: Priority): boolean => cls === 'alarm' || priority === 1;

/** The activation times within the window ending `now` (this one included), oldest first, bounded. */
export function recentActivations(prev: readonly number[] | undefined, now: number): number[] {
  const kept = (Array.isArray(prev) ? prev : []).filter((t) => Number.isFinite(t) && now - t <= CHATTER_WINDOW_MS && t <= now);
  return [...kept, now].slice(-ACTIVATIONS_KEPT);
}

/**
 * The off-delay of a chattering alarm ran out without the alarm coming back: it returns to normal
 * now (annunciated as any return to normal). The chattering episode ends here if the operator has
 * already acknowledged it; an unacknowledged one keeps its flag until the acknowledgement removes
 * the record, so the operator sees that it chattered.
 */
export function offDelayOver(tx: Tx, id: string): void {
  tx.cancel(offDelayName(id));
  if (!tx.ctx.alarms[id]?.active) return;
  tx.clear(id, { immediate: true });
  const a = tx.ctx.alarms[id];
  if (a?.chattering && a.acked && !a.active) {
    const { chattering: _ended, ...rest } = a; // replaced, never changed in place (tx.ts cloneContext)
    tx.ctx.alarms[id] = rest;
    tx.note('alarmChatterEnded', { alarmId: id });
  }
}
