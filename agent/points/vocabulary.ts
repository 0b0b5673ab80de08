/**
 * The point-name vocabulary (agent/points/vocabulary.yaml, STYLE.md lesson 6): every point name a
 * profile produces must match one listed pattern, with the listed unit and value type. NUT's own
 * names are marked `nut: true`; names we invent `nut: false` (the dcim: namespace).
 *
 * In a pattern, `{rack}` and `{module}` stand for a 1-based integer index and any other
 * `{placeholder}` for one name segment (no dots).
 */
import { fileURLToPath } from 'node:url';
import { Type, type Static } from '@sinclair/typebox';
import { loadConfigFile } from '../../lib/config/load.js';
import type { PointDef } from './normalise.js';

export const VocabularyEntry = Type.Object(
  {
    name: Type.String({ minLength: 1, description: 'name pattern; {placeholder} = one segment' }),
    unit: Type.String({ description: "unit exactly as profiles write it; '' for booleans, counts and text" }),
    type: Type.Union([Type.Literal('number'), Type.Literal('boolean'), Type.Literal('string')]),
    nut: Type.Boolean({ description: 'true when the name is Network UPS Tools’ own' }),
    description: Type.String(),
  },
  { additionalProperties: false },
);
export type VocabularyEntry = Static<typeof VocabularyEntry>;

export const VocabularyFile = Type.Object({ names: Type.Array(VocabularyEntry, { minItems: 1 }) }, { additionalProperties: false });

export const VOCABULARY_FILE = fileURLToPath(new URL('./vocabulary.yaml', import.meta.url));

const INDEX_PLACEHOLDERS = new Set(['rack', 'module']);

function patternOf(name: string): RegExp {
  const src = name.split(/(\{[a-zA-Z][a-zA-Z0-9]*\})/).map((part) => {
    const m = /^\{([a-zA-Z][a-zA-Z0-9]*)\}$/.exec(part);
    if (!m) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    return INDEX_PLACEHOLDERS.has(m[1]!) ? '[1-9][0-9]*' : '[A-Za-z0-9_-]+';
  }).join('');
  return new RegExp(`^${src}$`);
}

/** The value type a point definition produces. */
export function valueTypeOf(def: PointDef): VocabularyEntry['type'] {
  if (def.map) return 'string';
  if (def.type === 'bool' || def.type === 'boolean') return 'boolean';
  if (def.type === 'string') return 'string';
  return 'number';
}

export class Vocabulary {
  private readonly exact = new Map<string, VocabularyEntry>();
  private readonly patterns: { re: RegExp; entry: VocabularyEntry }[] = [];

  constructor(readonly entries: VocabularyEntry[]) {
    for (const e of entries) {
      if (e.name.includes('{')) this.patterns.push({ re: patternOf(e.name), entry: e });
      else this.exact.set(e.name, e);
    }
  }

  /** The entry a concrete point name falls under, if any. */
  lookup(name: string): VocabularyEntry | undefined {
    return this.exact.get(name) ?? this.patterns.find((p) => p.re.test(name))?.entry;
  }

  /** Problems with one point definition: unlisted name, other unit, other value type. Empty when fine. */
  check(def: PointDef): string[] {
    const e = this.lookup(def.name);
    if (!e) return [`${def.name}: not in the vocabulary (agent/points/vocabulary.yaml)`];
    const out: string[] = [];
    const unit = def.unit ?? '';
    if (unit !== e.unit) out.push(`${def.name}: unit '${unit}', the vocabulary says '${e.unit}' (${e.name})`);
    const t = valueTypeOf(def);
    if (t !== e.type) out.push(`${def.name}: a ${t} point, the vocabulary says ${e.type} (${e.name})`);
    return out;
  }
}

/** Load the vocabulary (default agent/points/vocabulary.yaml). Throws ConfigError with positions. */
export function loadVocabulary(file: string = VOCABULARY_FILE): Vocabulary {
  return new Vocabulary(loadConfigFile(file, VocabularyFile).names);
}
