/** Roles: viewer < operator < admin form a ladder; `firedept` reads like a viewer and may issue fire-department commands. */
import type { Role } from '../../lib/mqtt-contract.js';

export type { Role };
const RANK: Record<Role, number> = { viewer: 0, firedept: 0, operator: 1, admin: 2 };

export interface Principal {
  userId: string;
  username: string;
  role: Role;
  /** 'session' (console cookie) or 'token' (integration). */
  via: 'session' | 'token';
  tokenId?: string;
}

/** Requirement of a route: a minimum rung of the ladder, plus any extra roles allowed. */
export interface RoleNeed { min: 'viewer' | 'operator' | 'admin'; also?: Role[] }

export function allows(role: Role, need: RoleNeed): boolean {
  if (need.also?.includes(role)) return true;
  if (role === 'firedept') return need.min === 'viewer';
  return RANK[role] >= RANK[need.min];
}
