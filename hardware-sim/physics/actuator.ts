/**
 * An actuator driven by a coil, with a physical state that follows the coil after a delay and a
 * feedback input (limit switch, aux contact, pressure or flow switch). Pure and steppable.
 *
 * Faults (FIRE-SAFETY.md §4):
 * - `stuck`: the coil is ignored; the physical state and the feedback never change.
 * - `welded`: (breakers) the contacts stay closed whatever the coil says; the aux contact follows
 *   the mechanism, so it stays "closed" too, and current keeps flowing.
 * - `lies`: the feedback reports the commanded state after the delay, but the physical state
 *   does not change (aux contact says open while current flows).
 * - `reclose`: the physical state returns to its de-energised position after `recloseAfterS`
 *   (a spurious re-close) while the coil is still set.
 */
export type ActuatorFault = 'stuck' | 'welded' | 'lies' | 'reclose';

export interface ActuatorState {
  /** Last value written to the coil. */
  cmd: boolean;
  /** What the plant really does (true = acting: open, down, flowing...). */
  active: boolean;
  /** What the feedback input reports. */
  feedback: boolean;
  /** Sim time the physical state last changed, s (null = never). */
  changedAtS: number | null;
  faults: ActuatorFault[];
}

export class Actuator {
  cmd = false;
  active = false;
  feedback = false;
  changedAtS: number | null = null;
  private pendingAtS: number | null = null;
  private readonly faults = new Set<ActuatorFault>();
  private reclosed = false;
  recloseAfterS = 5;
  /** External condition the action needs (e.g. water supply for the spray); default always. */
  enabled: () => boolean = () => true;

  constructor(readonly name: string, public delayS: number, initial = false) {
    this.cmd = initial;
    this.active = initial;
    this.feedback = initial;
  }

  /** Sim time of the next change this actuator will make by itself (pending feedback, re-close), or Infinity. */
  nextEventS(): number {
    let t = this.pendingAtS ?? Infinity;
    if (this.faults.has('reclose') && !this.reclosed && this.cmd && this.active && this.changedAtS !== null) t = Math.min(t, this.changedAtS + this.recloseAfterS);
    return t;
  }

  /** Write the coil at sim time `now`. */
  write(value: boolean, now: number): void {
    // Re-asserting the present command (level-triggered outputs) changes nothing while the
    // actuator is moving or already there; it re-commands one that is not (a retry after a re-close).
    if (value === this.cmd && (this.pendingAtS !== null || this.active === (value && this.enabled()))) return;
    this.cmd = value;
    this.pendingAtS = now + this.delayS;
  }

  /** Back to rest after maintenance (coil off, nothing acting, no feedback); faults stay. */
  reset(): void {
    this.cmd = false;
    this.active = false;
    this.feedback = false;
    this.pendingAtS = null;
  }

  addFault(f: ActuatorFault): void { this.faults.add(f); }
  removeFault(f: ActuatorFault): void {
    this.faults.delete(f);
    if (f === 'reclose') this.reclosed = false;
  }
  hasFault(f: ActuatorFault): boolean { return this.faults.has(f); }

  /** Advance to sim time `now`. */
  step(now: number): void {
    if (this.pendingAtS !== null && now >= this.pendingAtS) {
      this.pendingAtS = null;
      this.apply(now);
    }
    const frozen = this.faults.has('stuck') || this.faults.has('lies') || this.reclosed;
    if (this.pendingAtS === null && !frozen) {
      // A running action stops when its condition goes away (water supply lost) and restarts when it returns.
      const desired = this.cmd && this.enabled() && !this.faults.has('welded');
      if (desired !== this.active) {
        if (!desired) this.setActive(false, now);
        else this.pendingAtS = now + this.delayS;
      }
    }
    if (this.faults.has('reclose') && !this.reclosed && this.cmd && this.active && this.changedAtS !== null && now - this.changedAtS >= this.recloseAfterS) {
      this.setActive(false, now);
      this.reclosed = true;
    }
  }

  private apply(now: number): void {
    const target = this.cmd && this.enabled();
    if (this.faults.has('stuck')) return; // nothing moves, feedback unchanged
    if (this.faults.has('lies')) { this.feedback = this.cmd; return; } // feedback follows the command, plant does not
    if (this.faults.has('welded') && target) return; // contacts welded: mechanism blocked
    this.setActive(target, now);
  }

  private setActive(v: boolean, now: number): void {
    if (this.active !== v) this.changedAtS = now;
    this.active = v;
    this.feedback = v;
  }

  state(): ActuatorState {
    return { cmd: this.cmd, active: this.active, feedback: this.feedback, changedAtS: this.changedAtS, faults: [...this.faults] };
  }
}
