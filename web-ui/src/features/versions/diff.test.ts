import { describe, expect, it } from 'vitest';
import { diffStats, hunks, lineDiff } from './diff';

const show = (before: string, after: string) => lineDiff(before, after).map((l) => `${l.kind === 'same' ? ' ' : l.kind === 'added' ? '+' : '-'}${l.text}`);

describe('line diff', () => {
  it('keeps equal texts as they are', () => {
    expect(show('a\nb\n', 'a\nb\n')).toEqual([' a', ' b']);
    expect(diffStats(lineDiff('a\nb', 'a\nb'))).toEqual({ added: 0, removed: 0 });
  });

  it('shows a changed line as removed then added, in place', () => {
    expect(show('name: x\nurl: a\nmethod: GET\n', 'name: x\nurl: b\nmethod: GET\n')).toEqual([' name: x', '-url: a', '+url: b', ' method: GET']);
  });

  it('finds added and removed lines in the middle and at the ends', () => {
    expect(show('b\nc\nd', 'a\nb\nd\ne')).toEqual(['+a', ' b', '-c', ' d', '+e']);
    expect(show('', 'a\nb')).toEqual(['+a', '+b']);
    expect(show('a\nb', '')).toEqual(['-a', '-b']);
  });

  it('numbers the lines of both sides', () => {
    const diff = lineDiff('a\nb\nc', 'a\nx\nb\nc');
    expect(diff.map((l) => [l.old ?? null, l.new ?? null])).toEqual([
      [1, 1],
      [null, 2],
      [2, 3],
      [3, 4],
    ]);
    expect(diffStats(diff)).toEqual({ added: 1, removed: 0 });
  });

  it('keeps the common subsequence when steps move', () => {
    const before = ['steps:', '  - id: a', '  - id: b', '  - id: c'].join('\n');
    const after = ['steps:', '  - id: b', '  - id: c', '  - id: a'].join('\n');
    expect(show(before, after)).toEqual([' steps:', '-  - id: a', '   - id: b', '   - id: c', '+  - id: a']);
  });

  it('shows only the changes with their context, counting the lines left out', () => {
    const before = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n');
    const after = before.replace('line 10', 'line ten');
    const h = hunks(lineDiff(before, after), 2);
    expect(h).toHaveLength(1);
    expect(h[0].skippedBefore).toBe(7);
    expect(h[0].skippedAfter).toBe(8);
    expect(h[0].lines.map((l) => l.text)).toEqual(['line 8', 'line 9', 'line 10', 'line ten', 'line 11', 'line 12']);
    expect(hunks(lineDiff(before, before))).toEqual([]);
  });
});
