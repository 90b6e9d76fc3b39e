// Reads an action's config JSON Schema into form fields. Pure.
import type { JsonSchema } from './jsonSchema';

export type FieldKind =
  | { kind: 'enum'; options: string[] }
  | { kind: 'string'; format?: string; examples?: unknown[] }
  | { kind: 'number'; integer: boolean; min?: number; max?: number }
  | { kind: 'boolean' }
  | { kind: 'map' }
  | { kind: 'list'; item: 'number' | 'string' }
  | { kind: 'any' };

export interface FormField {
  name: string;
  required: boolean;
  description?: string;
  kind: FieldKind;
  /** The field also accepts a `{{…}}` template instead of its type. */
  templated: boolean;
}

/** Follows a local `$ref` (`#/$defs/Name`) against the root schema. */
export function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  for (let i = 0; s.$ref && i < 10; i++) {
    const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(s.$ref);
    const defs = (m && (root[m[1]] as Record<string, JsonSchema> | undefined)) || undefined;
    const target = m && defs ? defs[m[2]] : undefined;
    if (!target) break;
    const { $ref: _ref, ...rest } = s;
    s = { ...target, ...rest };
  }
  return s;
}

function isTemplate(s: JsonSchema): boolean {
  return typeof s.pattern === 'string' && /\\?\{\\?\{/.test(s.pattern) && !s.enum;
}

/** The alternatives of a schema, `anyOf`/`oneOf` flattened, refs resolved. */
function alternatives(schema: JsonSchema, root: JsonSchema): JsonSchema[] {
  const s = resolve(schema, root);
  const alts = s.anyOf ?? s.oneOf;
  if (!alts) return [s];
  return alts.flatMap((a) => alternatives(a, root));
}

function types(s: JsonSchema): string[] {
  return Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
}

export function fieldKind(schema: JsonSchema, root: JsonSchema): { kind: FieldKind; templated: boolean } {
  const all = alternatives(schema, root);
  const templated = all.some(isTemplate);
  const alts = all.filter((a) => !isTemplate(a) && !(types(a).length === 1 && types(a)[0] === 'null'));
  const enumAlt = alts.find((a) => Array.isArray(a.enum));
  if (enumAlt) return { kind: { kind: 'enum', options: enumAlt.enum!.filter((v): v is string => typeof v === 'string') }, templated };
  // A Rust enum whose variants carry docs: one `{const}` alternative per variant.
  if (alts.length > 0 && alts.every((a) => typeof a.const === 'string')) return { kind: { kind: 'enum', options: alts.map((a) => a.const as string) }, templated };
  if (alts.length === 0) return { kind: { kind: 'any' }, templated };
  const ts = alts.flatMap(types).filter((t) => t !== 'null');
  if (alts.some((a) => types(a).includes('object') && (a.additionalProperties !== false || a.properties))) return { kind: { kind: 'map' }, templated };
  const arr = alts.find((a) => types(a).includes('array'));
  if (arr) {
    const item = arr.items ? alternatives(arr.items, root).filter((a) => !isTemplate(a)) : [];
    const numeric = item.length > 0 && item.every((a) => types(a).every((t) => t === 'integer' || t === 'number'));
    return { kind: { kind: 'list', item: numeric ? 'number' : 'string' }, templated };
  }
  if (ts.length && ts.every((t) => t === 'integer' || t === 'number')) {
    const num = alts.find((a) => types(a).some((t) => t === 'integer' || t === 'number'))!;
    return { kind: { kind: 'number', integer: ts.every((t) => t === 'integer'), min: num.minimum, max: num.maximum }, templated };
  }
  if (ts.length && ts.every((t) => t === 'boolean')) return { kind: { kind: 'boolean' }, templated };
  if (ts.length === 0) return { kind: { kind: 'any' }, templated };
  const str = alts.find((a) => types(a).includes('string'));
  return { kind: { kind: 'string', format: str?.format, examples: str?.examples }, templated };
}

/** The fields of an object schema, in its properties' order. */
export function formFields(schema: JsonSchema): FormField[] {
  const root = schema;
  const s = resolve(schema, root);
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties ?? {}).map(([name, prop]) => {
    const resolved = resolve(prop, root);
    // A field that asks for JSON text (a connector operation's JSON body): any value, typed as JSON.
    const { kind, templated } = prop['x-weft-widget'] === 'json' ? { kind: { kind: 'any' } as FieldKind, templated: true } : fieldKind(prop, root);
    return { name, required: required.has(name), description: resolved.description, kind, templated };
  });
}
