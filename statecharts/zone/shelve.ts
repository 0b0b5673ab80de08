/**
 * FS-25 shelving of a zone alarm (pure, over a Tx): limits by priority, and the end of a shelve by
 * an operator or at its expiry, which annunciates again an alarm whose condition is still there.
 */
import type { Tx } from './tx.js';

/** FS-25 maximum shelve time by priority: P1 never, P2 1 h, P3/P4 8 h (as the server's alarm model). */
export const SHELVE_MAX_MS: Record<1 | 2 | 3 | 4, number> = { 1: 0, 2: 3_600_000, 3: 8 * 3_600_000, 4: 8 * 3_600_000 };

/** End a shelve (operator or expiry): an alarm still active is annunciated again. */
export function unshelve(tx: Tx, id: string): void {
  const cur = tx.ctx.alarms[id];
  tx.cancel(`shelve:${id}`);
  if (!cur?.shelved) return;
  const { shelved: _ended, ...a } = cur; // records are replaced, never changed in place (tx.ts cloneContext)
  tx.ctx.alarms[id] = a;
  tx.note('alarmUnshelved', { alarmId: id });
  if (a.active) {
    const { class: cls, priority, text, latched, rack } = a;
    delete tx.ctx.alarms[id];
    tx.alarm(id, cls, priority, text, { latched, ...(rack !== undefined ? { rack } : {}) });
  } else if (a.acked && !a.latched) delete tx.ctx.alarms[id];
}

