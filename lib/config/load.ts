/**
 * Configuration is data: YAML validated by one JSON Schema (TypeBox), and every error names
 * the file, line, column and key path, and says what is allowed:
 *
 *   sites/dc1/devices.yaml:42:7 devices[3].modbus.unitId: must be <= 247
 *
 * Unknown keys are errors (schemas use additionalProperties: false).
 */
import { readFileSync } from 'node:fs';
import { isMap, isSeq, LineCounter, parseDocument, type Node } from 'yaml';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { TSchema, Static } from '@sinclair/typebox';

export interface ConfigIssue {
  file: string;
  line: number;
  col: number;
  /** Key path in the document, e.g. devices[3].modbus.unitId */
  path: string;
  message: string;
}

export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

export function formatIssue(i: ConfigIssue): string {
  return `${i.file}:${i.line}:${i.col} ${i.path || '(document)'}: ${i.message}`;
}

const addFormats = (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule;
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true });
(addFormats as unknown as (a: Ajv) => void)(ajv);
const compiled = new WeakMap<object, ReturnType<Ajv['compile']>>();

/** JSON pointer segments (/a/0/b) → display path a[0].b */
export function pointerToPath(pointer: string): string {
  if (!pointer) return '';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  }
  return out;
}

function describe(e: ErrorObject): { extraSegment?: string; message: string } {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'additionalProperties':
      return { extraSegment: String(p.additionalProperty), message: 'unknown key (not allowed here; check spelling)' };
    case 'required':
      return { message: `missing required key '${String(p.missingProperty)}'` };
    case 'enum':
      return { message: `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}` };
    case 'const':
      return { message: `must be ${JSON.stringify(p.allowedValue)}` };
    case 'minimum': case 'maximum': case 'exclusiveMinimum': case 'exclusiveMaximum':
      return { message: `must be ${String(p.comparison)} ${String(p.limit)}` };
    default:
      return { message: e.message ?? e.keyword };
  }
}

function nodeAt(doc: ReturnType<typeof parseDocument>, segments: string[]): Node | null {
  let node: unknown = doc.contents;
  let last: Node | null = (doc.contents as Node | null) ?? null;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((it) => (it.key as { value?: unknown } | null)?.value === seg);
      if (!pair) return last;
      // Point at the key for unknown keys, at the value otherwise (set below by caller).
      last = (pair.value as Node | null) ?? (pair.key as Node);
      node = pair.value;
      (last as Node & { __key?: Node }).__key = pair.key as Node;
    } else if (isSeq(node)) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) return last;
      last = item;
      node = item;
    } else {
      return last;
    }
  }
  return last;
}

function position(lc: LineCounter, node: Node | null, preferKey: boolean): { line: number; col: number } {
  const target = preferKey ? ((node as (Node & { __key?: Node }) | null)?.__key ?? node) : node;
  const offset = target?.range?.[0] ?? 0;
  const pos = lc.linePos(offset);
  return { line: pos.line, col: pos.col };
}

/** Parse and validate YAML text. Throws ConfigError with every issue found. */
export function parseConfig<S extends TSchema>(text: string, schema: S, file: string): Static<S> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    throw new ConfigError(doc.errors.map((e) => {
      const pos = lc.linePos(e.pos[0]);
      return { file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` };
    }));
  }
  const data = doc.toJS({ maxAliasCount: 100 }) as unknown;
  let validate = compiled.get(schema);
  if (!validate) { validate = ajv.compile(schema); compiled.set(schema, validate); }
  if (validate(data)) return data as Static<S>;
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  // A union of literals (TypeBox Union of Literal) fails with one `const` error per branch:
  // report them as one "must be one of" issue per key.
  const consts = new Map<string, unknown[]>();
  for (const e of validate.errors ?? []) {
    if (e.keyword === 'const') consts.set(e.instancePath, [...(consts.get(e.instancePath) ?? []), (e.params as { allowedValue: unknown }).allowedValue]);
  }
  for (const e of validate.errors ?? []) {
    // anyOf/oneOf produce one error per branch plus a summary; keep the summary and the most specific.
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf') continue;
    const allowed = e.keyword === 'const' ? consts.get(e.instancePath) : undefined;
    const { extraSegment, message } = allowed && allowed.length > 1
      ? { extraSegment: undefined, message: `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}` }
      : describe(e);
    const segments = e.instancePath.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (extraSegment) segments.push(extraSegment);
    const node = nodeAt(doc, segments);
    const { line, col } = position(lc, node, Boolean(extraSegment));
    const path = pointerToPath(e.instancePath + (extraSegment ? `/${extraSegment}` : ''));
    const key = `${path}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ file, line, col, path, message });
  }
  issues.sort((a, b) => a.line - b.line || a.col - b.col);
  throw new ConfigError(issues);
}

/** Read a YAML file and validate it. */
export function loadConfigFile<S extends TSchema>(file: string, schema: S): Static<S> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([{ file, line: 0, col: 0, path: '', message: `cannot read: ${(err as Error).message}` }]);
  }
  return parseConfig(text, schema, file);
}

/** Build a ConfigError for a semantic check done after schema validation (e.g. stage 2 < stage 1). */
export function semanticIssue(text: string, file: string, segments: (string | number)[], message: string): ConfigIssue {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc });
  const node = nodeAt(doc, segments.map(String));
  const { line, col } = position(lc, node, false);
  const path = pointerToPath(segments.length ? `/${segments.join('/')}` : '');
  return { file, line, col, path, message };
}
