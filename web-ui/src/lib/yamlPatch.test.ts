import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { jsonEqual, patchYaml } from './yamlPatch';

type Doc = { steps?: Record<string, unknown>[]; description?: string; [k: string]: unknown };

const dir = join(__dirname, '..', '..', '..', 'workflows-examples');
const examples = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .map((file) => ({ file, text: readFileSync(join(dir, file), 'utf8') }));

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const comments = (text: string) => text.split('\n').filter((l) => l.trimStart().startsWith('#')).map((l) => l.trim());
/** Lines of `a` that `b` no longer has (as a multiset). */
function lost(a: string, b: string): string[] {
  const left = new Map<string, number>();
  for (const l of b.split('\n')) left.set(l, (left.get(l) ?? 0) + 1);
  return a.split('\n').filter((l) => {
    const n = left.get(l) ?? 0;
    if (n > 0) left.set(l, n - 1);
    return n === 0;
  });
}

function patched(text: string, edit: (d: Doc) => void): { out: string; after: Doc } {
  const before = parse(text) as Doc;
  const after = clone(before);
  edit(after);
  const out = patchYaml(text, before, after);
  expect(out, 'the source can be patched').not.toBeNull();
  expect(jsonEqual(parse(out!), after), 'the patched text reads as the edited document').toBe(true);
  return { out: out!, after };
}

describe('patchYaml on every example', () => {
  it('finds the examples', () => expect(examples.length).toBeGreaterThanOrEqual(8));

  for (const { file, text } of examples) {
    describe(file, () => {
      it('leaves the text as it is when nothing changed', () => {
        const doc = parse(text) as Doc;
        expect(patchYaml(text, doc, clone(doc))).toBe(text);
      });

      it('changes one line for one changed field, keeping every comment', () => {
        const { out } = patched(text, (d) => {
          d.steps![0].timeout = '42s';
        });
        expect(comments(out)).toEqual(comments(text));
        // One line replaced (or one added when the step had no timeout).
        expect(lost(text, out).length).toBeLessThanOrEqual(1);
        expect(lost(out, text)).toEqual(['    timeout: 42s']);
      });

      it('adds a step after the last one without touching the others', () => {
        const { out } = patched(text, (d) => {
          d.steps!.push({ id: 'added_step', action: 'log', with: { message: 'hello {{trigger.body.x}}' } });
        });
        expect(lost(text, out).filter((l) => l.trim() !== '')).toEqual([]);
        expect(out).toContain('  - id: added_step\n');
      });

      it('inserts a step in the middle and removes another', () => {
        const n = (parse(text) as Doc).steps!.length;
        const { out } = patched(text, (d) => {
          if (n > 1) d.steps!.splice(n - 1, 1);
          d.steps!.splice(1, 0, { id: 'inserted', action: 'log', with: { message: 'x' } });
        });
        expect(out).toContain('  - id: inserted\n');
        if (n > 2) {
          // Only the removed step's lines are gone (and the comments that described it).
          const removed = lost(text, out).filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'));
          const last = (parse(text) as Doc).steps![n - 1];
          expect(removed.some((l) => l.includes(`id: ${String(last.id)}`))).toBe(true);
        }
      });

      it('writes editor positions into every step and a new description', () => {
        const { out } = patched(text, (d) => {
          d.description = 'Changed in the editor.';
          d.steps!.forEach((s, i) => (s.ui = { x: i * 100, y: 40 }));
        });
        expect(comments(out)).toEqual(comments(text));
        expect(out).toMatch(/\n {4}ui: \{ ?x: 0, y: 40 ?\}\n/);
        expect(out).toContain('description: Changed in the editor.\n');
      });

      it('renames a step and its references', () => {
        const before = parse(text) as Doc;
        const id = String(before.steps![0].id);
        const renamed = text.split(id).join(`${id}_renamed`);
        const { out } = patched(text, (d) => Object.assign(d, parse(renamed) as Doc));
        expect(comments(out).length).toBe(comments(text).length);
      });
    });
  }
});

describe('patchYaml on edge cases', () => {
  it('keeps flow style and quotes of changed values', () => {
    const text = 'name: x # the name\ntrigger: {type: manual}\nsteps:\n  - id: a\n    action: log\n    with: {message: "hi"}\n';
    const before = parse(text) as Doc;
    const after = clone(before);
    (after.steps![0].with as Record<string, unknown>).message = 'bye';
    (after.trigger as Record<string, unknown>).type = 'webhook';
    const out = patchYaml(text, before, after)!;
    expect(out).toBe('name: x # the name\ntrigger: {type: webhook}\nsteps:\n  - id: a\n    action: log\n    with: {message: "bye"}\n');
  });

  it('removes a key and adds one with a multi-line string', () => {
    const text = 'name: x\ndescription: old\nsteps:\n  - id: a\n    action: log\n';
    const before = parse(text) as Doc;
    const after = clone(before);
    delete after.description;
    after.steps![0].with = { message: 'line one\nline two' };
    const out = patchYaml(text, before, after)!;
    expect(jsonEqual(parse(out), after)).toBe(true);
    expect(out.startsWith('name: x\nsteps:\n  - id: a\n    action: log\n    with:\n')).toBe(true);
  });

  it('rewrites a reordered list, still reading as the edit', () => {
    const text = 'name: x\nsteps:\n  # first\n  - id: a\n    action: log\n  - id: b\n    action: log\n';
    const before = parse(text) as Doc;
    const after = clone(before);
    after.steps!.reverse();
    const out = patchYaml(text, before, after)!;
    expect(jsonEqual(parse(out), after)).toBe(true);
  });

  it('refuses what it cannot patch, so the caller saves the document', () => {
    expect(patchYaml('name: [unclosed', { name: 'x' }, { name: 'y' })).toBeNull();
    expect(patchYaml('- a\n- b\n', ['a', 'b'], ['a'])).toBeNull();
  });
});
