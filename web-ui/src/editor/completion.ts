// Template completion: the paths a step's `{{…}}` templates may read, and where in a text the
// cursor's expression starts. Pure functions: no React, no IO.
import type { CapturedRequest, Step, WorkflowDocument } from '../lib/types';
import type { JsonSchema } from './form/jsonSchema';
import { upstreamSteps } from './model';

export const HELPERS: readonly string[] = [
  'json', 'default', 'eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'and', 'or', 'not', 'len', 'lower', 'upper',
  'trim', 'concat', 'now', 'uuid', 'base64', 'base64_decode', 'url_encode', 'lookup', 'add', 'sub', 'mul',
  'div', 'contains', 'replace', 'split', 'join', 'number', 'string', 'parse_json',
];

export type CompletionKind = 'trigger' | 'step' | 'item' | 'execution' | 'env' | 'helper';

export interface Completion {
  /** What is inserted, e.g. `steps.create_user.body.id`. */
  label: string;
  kind: CompletionKind;
  /** A short preview of the value (from real data) or a hint of its type. */
  detail?: string;
}

export interface LastRunData {
  /** The trigger request of the last execution (or of a captured test event). */
  request?: Partial<CapturedRequest> | null;
  /** Step outputs of the last execution, by step id. */
  outputs?: Record<string, unknown>;
}

export interface CompletionInput {
  doc: WorkflowDocument;
  /** The step being edited; `null` for none (e.g. the trigger). */
  stepId: string | null;
  lastRun?: LastRunData | null;
  /** The allow-listed environment variables (`GET /api/v1/environment`). */
  env?: string[] | null;
  /** Output JSON Schemas by action kind (connector operations describe their answer), for
   * the fields of a step that has not run yet. */
  outputSchemas?: Record<string, JsonSchema> | null;
}

const MAX_DEPTH = 6;
const MAX_PATHS = 400;

/** A short, one-line preview of a JSON value. */
export function preview(value: unknown): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `array[${value.length}]`;
  if (value !== null && typeof value === 'object') return 'object';
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 39)}…` : text;
}

/** A key usable in a dotted path; other keys use the `[…]` segment form. */
export function segment(key: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key) ? key : `[${key}]`;
}

/**
 * Every path into `value` below `prefix` (the prefix itself not included): object keys, and for
 * arrays the first item as `.0`. Bounded in depth and count.
 */
export function walkPaths(value: unknown, prefix: string, out: Completion[] = [], kind: CompletionKind = 'step', depth = 0): Completion[] {
  if (depth >= MAX_DEPTH || out.length >= MAX_PATHS) return out;
  if (Array.isArray(value)) {
    if (value.length === 0) return out;
    const path = `${prefix}.0`;
    out.push({ label: path, kind, detail: preview(value[0]) });
    walkPaths(value[0], path, out, kind, depth + 1);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) {
      if (out.length >= MAX_PATHS) break;
      const path = `${prefix}.${segment(key)}`;
      out.push({ label: path, kind, detail: preview(v) });
      walkPaths(v, path, out, kind, depth + 1);
    }
  }
  return out;
}

/** Every string leaf of a value. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => strings(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => strings(v, out));
  return out;
}

/** Dotted paths under `root.` already used in the document's templates (e.g. `env.API_URL`). */
export function usedPaths(doc: WorkflowDocument, root: string): string[] {
  const re = new RegExp(`(?<![A-Za-z0-9_.])${root.replace('.', '\\.')}\\.[A-Za-z0-9_.\\-\\[\\]]+`, 'g');
  const found = new Set<string>();
  for (const text of strings(doc.steps ?? [])) {
    if (!text.includes('{{')) continue;
    for (const m of text.matchAll(re)) found.add(m[0].replace(/\.$/, ''));
  }
  return [...found].sort();
}

/** A value of a schema's shape (empty strings, zeros, one item per list), to list its paths. */
export function sampleOf(schema: JsonSchema | undefined, root: JsonSchema, depth = 0): unknown {
  if (!schema || depth > 8) return undefined;
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const m = /^#\/\$defs\/(.+)$/.exec(s.$ref);
    const defs = root.$defs as Record<string, JsonSchema> | undefined;
    const name = m ? decodeURIComponent(m[1]).replace(/~1/g, '/').replace(/~0/g, '~') : undefined;
    const target = name && defs ? defs[name] : undefined;
    if (!target) return undefined;
    s = target;
  }
  const alts = s.anyOf ?? s.oneOf;
  if (alts) {
    const real = alts.find((a) => !(a.type === 'null'));
    return sampleOf(real, root, depth + 1);
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  if (s.properties || type === 'object' || s.allOf) {
    const out: Record<string, unknown> = {};
    for (const part of [s, ...(s.allOf ?? [])]) {
      for (const [k, v] of Object.entries(part.properties ?? {})) out[k] = sampleOf(v, root, depth + 1) ?? null;
    }
    return out;
  }
  if (type === 'array') return s.items ? [sampleOf(s.items, root, depth + 1) ?? null] : [];
  if (type === 'integer' || type === 'number') return 0;
  if (type === 'boolean') return false;
  if (type === 'string') return '';
  return undefined;
}

/** The shape of a step's output when there is no real data: what the action is known to return. */
function outputShape(step: Step, outputSchemas?: Record<string, JsonSchema> | null): unknown {
  const withCfg = (step.with ?? {}) as Record<string, unknown>;
  const schema = outputSchemas?.[step.action];
  if (schema) return sampleOf(schema, schema);
  switch (step.action) {
    case 'http':
      return { status: 200, headers: {}, body: {} };
    case 'if':
      return { result: true };
    case 'switch':
      return { case: '' };
    case 'set':
      return withCfg.value;
    case 'respond':
      return { status: 200, headers: {}, body: withCfg.body ?? null };
    default:
      return undefined;
  }
}

/** The completable paths for the templates of `stepId`, most useful first. */
export function completionsFor({ doc, stepId, lastRun, env, outputSchemas }: CompletionInput): Completion[] {
  const out: Completion[] = [];
  const seen = new Set<string>();
  const push = (c: Completion) => {
    if (seen.has(c.label)) return;
    seen.add(c.label);
    out.push(c);
  };
  const steps = doc.steps ?? [];
  const step = stepId ? steps.find((s) => s.id === stepId) : undefined;

  // Steps upstream of this one: real outputs when known, else the action's output shape.
  if (step) {
    for (const id of upstreamSteps(steps, step.id)) {
      const up = steps.find((s) => s.id === id)!;
      const real = lastRun?.outputs && id in lastRun.outputs;
      const value = real ? lastRun!.outputs![id] : outputShape(up, outputSchemas);
      const isList = up.for_each !== undefined && up.for_each !== null;
      push({ label: `steps.${id}`, kind: 'step', detail: real ? preview(value) : isList ? 'array' : up.action });
      if (isList && !real) {
        push({ label: `steps.${id}.0`, kind: 'step', detail: up.action });
        walkPaths(outputShape(up, outputSchemas), `steps.${id}.0`).forEach(push);
      } else {
        walkPaths(value, `steps.${id}`).forEach(push);
      }
    }
    for (const p of usedPaths(doc, 'steps')) {
      const id = p.split('.')[1];
      if (out.some((c) => c.label === `steps.${id}`)) push({ label: p, kind: 'step' });
    }
  }

  // `item` and `index` inside a `for_each`.
  if (step && step.for_each !== undefined && step.for_each !== null) {
    push({ label: 'item', kind: 'item', detail: 'the current item' });
    push({ label: 'index', kind: 'item', detail: 'its position, from 0' });
    const items = forEachItems(step, lastRun);
    if (items && items.length) walkPaths(items[0], 'item', [], 'item').forEach(push);
  }

  // The trigger request.
  const request = lastRun?.request;
  for (const part of ['body', 'headers', 'query'] as const) {
    push({ label: `trigger.${part}`, kind: 'trigger', detail: request ? preview(request[part]) : undefined });
    if (request && request[part] !== undefined) walkPaths(request[part], `trigger.${part}`, [], 'trigger').forEach(push);
  }
  for (const p of usedPaths(doc, 'trigger')) push({ label: p, kind: 'trigger' });
  push({ label: 'trigger.method', kind: 'trigger', detail: request?.method ? preview(request.method) : undefined });
  push({ label: 'trigger.path', kind: 'trigger', detail: request?.path ? preview(request.path) : undefined });

  push({ label: 'execution.id', kind: 'execution' });
  push({ label: 'execution.started_at', kind: 'execution' });
  push({ label: 'execution.workflow', kind: 'execution' });

  for (const name of env ?? []) push({ label: `env.${name}`, kind: 'env', detail: 'allow-listed' });
  for (const p of usedPaths(doc, 'env')) push({ label: p, kind: 'env', detail: env && !env.includes(p.slice(4)) ? 'not allow-listed on this server' : undefined });
  if (!env?.length) push({ label: 'env.', kind: 'env', detail: 'an allow-listed variable (WEFT_ALLOW_ENV)' });

  for (const h of HELPERS) push({ label: h, kind: 'helper', detail: 'helper' });
  return out;
}

/** The items a `for_each` ran over last time, when its template is a plain trigger/step path. */
function forEachItems(step: Step, lastRun?: LastRunData | null): unknown[] | null {
  if (typeof step.for_each !== 'string' || !lastRun) return Array.isArray(step.for_each) ? step.for_each : null;
  const m = /^\{\{\s*([A-Za-z0-9_.]+)\s*\}\}$/.exec(step.for_each);
  if (!m) return null;
  const [root, ...rest] = m[1].split('.');
  let value: unknown =
    root === 'trigger' ? lastRun.request : root === 'steps' ? lastRun.outputs : undefined;
  for (const key of rest) {
    if (value === null || typeof value !== 'object') return null;
    value = (value as Record<string, unknown>)[key];
  }
  return Array.isArray(value) ? value : null;
}

/** The expression being typed at `cursor`, when the cursor is inside an open `{{`. */
export interface TemplateToken {
  /** Start and end (exclusive) of the partial path under the cursor. */
  from: number;
  to: number;
  /** The partial path typed so far (text between `from` and the cursor). */
  prefix: string;
  /** Whether a `}}` closes the expression after the cursor. */
  closed: boolean;
}

const PATH_CHAR = /[A-Za-z0-9_.\-[\]$]/;

export function tokenAt(text: string, cursor: number): TemplateToken | null {
  const open = text.lastIndexOf('{{', cursor - 1);
  if (open < 0 || (open > 0 && text[open - 1] === '\\')) return null;
  const close = text.lastIndexOf('}}', cursor - 1);
  if (close > open) return null; // the last expression before the cursor is closed
  let from = cursor;
  while (from > open + 2 && PATH_CHAR.test(text[from - 1])) from--;
  let to = cursor;
  while (to < text.length && PATH_CHAR.test(text[to])) to++;
  const after = text.indexOf('}}', cursor);
  const nextOpen = text.indexOf('{{', cursor);
  return { from, to, prefix: text.slice(from, cursor), closed: after >= 0 && (nextOpen < 0 || after < nextOpen) };
}

/** The completions matching the typed prefix: prefix matches first, then substring matches. */
export function filterCompletions(all: readonly Completion[], prefix: string, limit = 50): Completion[] {
  const p = prefix.toLowerCase();
  if (!p) return all.slice(0, limit);
  const starts = all.filter((c) => c.label.toLowerCase().startsWith(p) && c.label.toLowerCase() !== p);
  const contains = all.filter((c) => !c.label.toLowerCase().startsWith(p) && c.label.toLowerCase().includes(p));
  return [...starts, ...contains].slice(0, limit);
}

/** Inserts a completion into `text` at the token; returns the new text and cursor. */
export function applyCompletion(text: string, token: TemplateToken, label: string): { text: string; cursor: number } {
  const isHelper = HELPERS.includes(label);
  const insert = isHelper ? `${label} ` : label;
  const closing = token.closed || isHelper || label.endsWith('.') ? '' : '}}';
  const next = text.slice(0, token.from) + insert + closing + text.slice(token.to);
  return { text: next, cursor: token.from + insert.length + closing.length };
}

/** `{{path}}`, the reference inserted by the output picker. */
export function reference(path: string): string {
  return `{{${path}}}`;
}
