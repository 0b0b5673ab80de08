import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { READMES, regenerate } from './doc-table.js';

describe('driver READMEs', () => {
  for (const r of READMES) {
    it(`${r.file.split('/agent/')[1]} tables match the schemas (else run: npx tsx agent/drivers/opcua/doc-table.ts)`, () => {
      const text = readFileSync(r.file, 'utf8');
      expect(regenerate(text, r.tables)).toBe(text);
    });
  }
});
