/**
 * Demo accounts: on the first run (empty records), an admin (the server's own first-run admin),
 * an operator and a viewer, each with a freshly generated password that is printed once. Later
 * runs keep the accounts (the data dir is kept) and print no password, unless
 * `resetPasswords` is set: then every demo account gets a new password.
 */
import type { AuthService } from '../auth/service.js';
import { generatePassword } from '../auth/passwords.js';
import type { Repos } from '../records/repos.js';
import type { Role } from '../../lib/mqtt-contract.js';

export interface DemoAccount { username: string; role: Role; password: string | null }
export interface DemoAccounts { created: boolean; reset: boolean; accounts: DemoAccount[] }

export const DEMO_USERS: Array<{ username: string; role: Role }> = [
  { username: 'admin', role: 'admin' },
  { username: 'operator', role: 'operator' },
  { username: 'viewer', role: 'viewer' },
];

export async function ensureDemoAccounts(auth: AuthService, repos: Repos, firstAdmin: { username: string; password: string } | null, resetPasswords = false): Promise<DemoAccounts> {
  const accounts: DemoAccount[] = [];
  let created = firstAdmin !== null;
  for (const u of DEMO_USERS) {
    const row = await repos.userByName(u.username);
    if (u.username === firstAdmin?.username) { accounts.push({ ...u, password: firstAdmin.password }); continue; }
    if (!row) {
      const password = generatePassword();
      await auth.createUser(u.username, u.role, password);
      accounts.push({ ...u, password });
      created = true;
    } else if (resetPasswords) {
      const password = generatePassword();
      await auth.setPassword(String(row.id), password);
      accounts.push({ ...u, role: row.role as Role, password });
    } else accounts.push({ ...u, role: row.role as Role, password: null });
  }
  return { created, reset: resetPasswords, accounts };
}
