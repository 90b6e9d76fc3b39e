// The templates gallery: the examples in `workflows-examples/`, bundled with the editor at build
// time (nothing is fetched), each described from its own YAML.
import { parseDocument } from 'yaml';

/** A template as the gallery shows it. */
export interface Template {
  /** The file it came from, e.g. `create-user.yaml`. */
  file: string;
  name: string;
  description: string;
  /** `webhook`, `schedule`, `manual`, … */
  trigger: string;
  steps: number;
  /** The credentials it names (they must exist before it can be saved or run). */
  credentials: string[];
  /** The environment variables its templates read (`{{env.X}}`). */
  env: string[];
  text: string;
}

const files = import.meta.glob('../../../../workflows-examples/*.yaml', { query: '?raw', import: 'default', eager: true }) as Record<string, string>;

/** Reads what the gallery shows from a workflow's YAML; `null` if it is not a workflow. */
export function describeTemplate(file: string, text: string): Template | null {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors.length) return null;
  const value = doc.toJS() as Record<string, unknown> | null;
  if (!value || typeof value.name !== 'string') return null;
  const trigger = value.trigger as { type?: unknown } | undefined;
  const credentials = new Set<string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k === 'credential' && typeof x === 'string' && !x.includes('{{')) credentials.add(x);
        else walk(x);
      }
    }
  };
  walk(value);
  const env = new Set([...text.matchAll(/\{\{\s*env\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
  return {
    file,
    name: value.name,
    description: typeof value.description === 'string' ? value.description.trim() : '',
    trigger: typeof trigger?.type === 'string' ? trigger.type : 'manual',
    steps: Array.isArray(value.steps) ? value.steps.length : 0,
    credentials: [...credentials].sort(),
    env: [...env].sort(),
    text,
  };
}

/** Every bundled example, by name. */
export const TEMPLATES: Template[] = Object.entries(files)
  .map(([path, text]) => describeTemplate(path.split('/').pop() ?? path, text))
  .filter((t): t is Template => t !== null)
  .sort((a, b) => a.name.localeCompare(b.name));

/** The template's YAML under a name no workflow has yet (`Name`, `Name 2`, …), comments kept. */
export function withFreeName(text: string, name: string, taken: Set<string>): { text: string; name: string } {
  let free = name;
  for (let i = 2; taken.has(free); i++) free = `${name} ${i}`;
  if (free === name) return { text, name };
  const doc = parseDocument(text);
  doc.set('name', free);
  return { text: doc.toString(), name: free };
}
