// A line diff of two texts (two versions' YAML), computed in the browser. Pure.

export type DiffLine = { kind: 'same' | 'added' | 'removed'; text: string; old?: number; new?: number };

/** Above this many cells of the comparison table, the middle is shown as replaced whole. */
const MAX_CELLS = 4_000_000;

function lines(text: string): string[] {
  if (text === '') return [];
  const all = text.split('\n');
  if (all[all.length - 1] === '') all.pop();
  return all;
}

/**
 * The lines of `before` and `after` in order, each kept, removed or added: a longest common
 * subsequence of the lines, after the common start and end are set aside. Line numbers are 1-based.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = lines(before);
  const b = lines(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const out: DiffLine[] = [];
  for (let i = 0; i < start; i++) out.push({ kind: 'same', text: a[i], old: i + 1, new: i + 1 });

  const n = endA - start;
  const m = endB - start;
  if (n * m > MAX_CELLS) {
    for (let i = start; i < endA; i++) out.push({ kind: 'removed', text: a[i], old: i + 1 });
    for (let j = start; j < endB; j++) out.push({ kind: 'added', text: b[j], new: j + 1 });
  } else {
    // lcs[i][j]: the length of the longest common subsequence of a[start+i..endA) and b[start+j..endB).
    const width = m + 1;
    const lcs = new Uint32Array((n + 1) * width);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * width + j] = a[start + i] === b[start + j] ? lcs[(i + 1) * width + j + 1] + 1 : Math.max(lcs[(i + 1) * width + j], lcs[i * width + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[start + i] === b[start + j]) {
        out.push({ kind: 'same', text: a[start + i], old: start + i + 1, new: start + j + 1 });
        i++;
        j++;
      } else if (j < m && (i === n || lcs[i * width + j + 1] > lcs[(i + 1) * width + j])) {
        out.push({ kind: 'added', text: b[start + j], new: start + j + 1 });
        j++;
      } else {
        out.push({ kind: 'removed', text: a[start + i], old: start + i + 1 });
        i++;
      }
    }
  }

  for (let k = 0; k < a.length - endA; k++) out.push({ kind: 'same', text: a[endA + k], old: endA + k + 1, new: endB + k + 1 });
  return out;
}

/** How many lines were added and removed. */
export function diffStats(diff: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const l of diff) {
    if (l.kind === 'added') added++;
    else if (l.kind === 'removed') removed++;
  }
  return { added, removed };
}

export type DiffHunk = { lines: DiffLine[]; skippedBefore: number; skippedAfter: number };

/**
 * The changed lines with `context` unchanged lines around each change; the unchanged runs in
 * between are counted, not shown (as in a unified diff); the last hunk counts those after it.
 * No change: no hunk.
 */
export function hunks(diff: DiffLine[], context = 3): DiffHunk[] {
  const keep = diff.map(() => false);
  diff.forEach((l, i) => {
    if (l.kind === 'same') return;
    for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = true;
  });
  const out: DiffHunk[] = [];
  let skipped = 0;
  let current: DiffHunk | null = null;
  diff.forEach((l, i) => {
    if (!keep[i]) {
      skipped++;
      current = null;
      return;
    }
    if (!current) {
      current = { lines: [], skippedBefore: skipped, skippedAfter: 0 };
      out.push(current);
      skipped = 0;
    }
    current.lines.push(l);
  });
  if (out.length) out[out.length - 1].skippedAfter = skipped;
  return out;
}
