/**
 * Password hashing: scrypt (node:crypto) with a 16-byte random salt per user. The stored form
 * carries its parameters, so the cost can be raised later without breaking old hashes:
 *   scrypt$<log2N>$<r>$<p>$<salt b64>$<hash b64>
 * Default cost log2N = 17, r = 8, p = 1 (the OWASP minimum for scrypt).
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

const KEYLEN = 64;

function scryptAsync(password: string, salt: Buffer, logN: number, r: number, p: number): Promise<Buffer> {
  const N = 2 ** logN;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, KEYLEN, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export async function hashPassword(password: string, logN = 17): Promise<string> {
  const salt = randomBytes(16);
  const key = await scryptAsync(password, salt, logN, 8, 1);
  return `scrypt$${logN}$8$1$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [logN, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (!Number.isInteger(logN) || logN < 10 || logN > 22) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  const key = await scryptAsync(password, salt, logN, r, p);
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** A generated password for first-run admin accounts: 24 random bytes, base64url (32 characters). */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}

/** Minimum rules for a chosen password (length; the hash does the rest). */
export function passwordProblem(pw: string): string | null {
  if (pw.length < 12) return 'password must be at least 12 characters';
  if (pw.length > 256) return 'password must be at most 256 characters';
  return null;
}
