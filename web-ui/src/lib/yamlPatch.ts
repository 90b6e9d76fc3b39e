// Saving an edited workflow back into the YAML its user wrote: the edit is applied to the source
// text in place, so comments, blank lines, quoting and line breaks survive wherever the user did
// not change anything. Only the values that changed are rendered again (a pair, a list item),
// at the indentation they had; steps are matched by id, so adding, removing or editing one step
// leaves every other step's text as it was.
import { Document, isMap, isNode, isScalar, isSeq, parse, parseDocument, Scalar, YAMLMap, YAMLSeq, type Node } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Thrown where a change cannot be written at this level: the caller renders its whole value. */
class Rerender extends Error {}


function isObject(v: unknown): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep equality of JSON values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((x, i) => jsonEqual(x, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => k in b && jsonEqual(a[k], b[k]));
  }
  return false;
}

function has(o: { [key: string]: Json }, k: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, k) && o[k] !== undefined;
}

/** How list items correspond: by `id` when every item has a distinct one, else by position
 * when the lengths agree; null when neither (the list is written again). Each new item gets
 * the index of its old item, or -1 when it is new. */
function matchItems(before: Json[], after: Json[]): number[] | null {
  const ids = (xs: Json[]) => {
    const out = xs.map((x) => (isObject(x) && typeof x.id === 'string' ? x.id : null));
    return out.every((x) => x !== null) && new Set(out).size === out.length ? (out as string[]) : null;
  };
  const a = ids(before);
  const b = ids(after);
  if (a && b) {
    const match = b.map((id) => a.indexOf(id));
    // New ids between the same neighbours as old ones that went are those steps renamed.
    const taken = new Set(match);
    let prev = -1;
    for (let i = 0; i < match.length; ) {
      if (match[i] >= 0) {
        prev = match[i++];
        continue;
      }
      let j = i;
      while (j < match.length && match[j] < 0) j++;
      const next = j < match.length ? match[j] : a.length;
      const free: number[] = [];
      for (let k = prev + 1; k < next; k++) if (!taken.has(k)) free.push(k);
      for (let k = 0; k < Math.min(free.length, j - i) && next > prev; k++) match[i + k] = free[k];
      i = j;
    }
    return match;
  }
  if (before.length === after.length) return after.map((_, i) => i);
  return null;
}

/** The edit applied to plain values: what the patched text must read as. */
function applyJs(src: Json, before: Json, after: Json): Json {
  if (jsonEqual(before, after)) return src;
  if (isObject(src) && isObject(before) && isObject(after)) {
    const out: { [key: string]: Json } = { ...src };
    for (const k of Object.keys(after)) {
      if (!has(after, k)) continue;
      out[k] = has(before, k) && has(src, k) ? applyJs(src[k], before[k], after[k]) : after[k];
    }
    for (const k of Object.keys(before)) if (!has(after, k)) delete out[k];
    return out;
  }
  if (Array.isArray(src) && Array.isArray(before) && Array.isArray(after) && src.length === before.length) {
    const match = matchItems(before, after);
    if (match) return after.map((x, i) => (match[i] >= 0 ? applyJs(src[match[i]], before[match[i]], x) : x));
  }
  return after;
}

function lineStart(text: string, at: number): number {
  return text.lastIndexOf('\n', at - 1) + 1;
}

function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl + 1;
}

function column(text: string, at: number): number {
  return at - lineStart(text, at);
}

/** Where a node's own text ends (a block collection's range runs on to the next line). */
function contentEnd(text: string, node: Node): number {
  const start = node.range ? node.range[0] : 0;
  let end = node.range ? node.range[1] : 0;
  while (end > start && /\s/.test(text[end - 1])) end--;
  return end;
}

/** A new value in the style of the one it replaces: flow stays flow, quotes stay quotes; a
 * small new list or map of plain values is written inline (`[a, b]`, `{x: 1, y: 2}`). */
function styled(doc: Document, value: Json, old: unknown): Node {
  const node = doc.createNode(value) as Node;
  if (old) restyle(node, old);
  else if (isMap(node) || isSeq(node)) {
    const items = isMap(node) ? node.items.map((p) => p.value) : node.items;
    const short = (v: unknown) => isScalar(v) && (typeof v.value !== 'string' || (v.value.length <= 24 && !v.value.includes('\n')));
    node.flow = items.length > 0 && items.length <= 4 && items.every(short);
  }
  return node;
}

/** Gives `node` the style of `old` where their shapes agree. */
function restyle(node: unknown, old: unknown): void {
  if (isMap(node) && isMap(old)) {
    node.flow = !!old.flow;
    for (const pair of node.items) {
      const match = old.items.find((p) => isScalar(p.key) && isScalar(pair.key) && p.key.value === pair.key.value);
      if (match) restyle(pair.value, match.value);
    }
  } else if (isSeq(node) && isSeq(old)) {
    node.flow = !!old.flow;
    node.items.forEach((item, i) => i < old.items.length && restyle(item, old.items[i]));
  } else if (isScalar(node) && isScalar(old) && typeof node.value === 'string' && typeof old.value === 'string' && !node.value.includes('\n')) {
    if (old.type === Scalar.QUOTE_DOUBLE || old.type === Scalar.QUOTE_SINGLE) node.type = old.type;
  }
}

/** Text rendered by the library, placed at `col`: lines after the first get its indentation. */
function place(rendered: string, col: number): string {
  const pad = ' '.repeat(col);
  return rendered
    .replace(/\n$/, '')
    .split('\n')
    .map((line, i) => (i === 0 || line === '' ? line : pad + line))
    .join('\n');
}

function render(contents: Node, padded: boolean, col: number): string {
  const doc = new Document();
  doc.contents = contents;
  return place(doc.toString({ lineWidth: 0, flowCollectionPadding: padded }), col);
}

/** Where the text of a list item starts, with the comments and blank lines just above it. */
function itemBlockStart(text: string, dash: number, col: number): number {
  let start = lineStart(text, dash);
  while (start > 0) {
    const prev = lineStart(text, start - 1);
    const line = text.slice(prev, start - 1);
    const blank = line.trim() === '';
    const comment = line.trimStart().startsWith('#') && line.length - line.trimStart().length >= col;
    if (!blank && !comment) break;
    start = prev;
  }
  return start;
}

class Patcher {
  edits: Edit[] = [];
  /** Whether the source writes its inline lists and maps as `[ a ]` rather than `[a]`. */
  private readonly padded: boolean;
  constructor(readonly text: string) {
    const flow = /(?:^|[:-]\s)[[{](.)/m.exec(text);
    this.padded = !!flow && flow[1] === ' ';
  }

  private pad(old: unknown): boolean {
    if ((isMap(old) || isSeq(old)) && old.flow && old.range) return this.text[old.range[0] + 1] === ' ';
    return this.padded;
  }

  /** `value` written as the pair `key: value` (or, with `key` null, as a list item `- value`)
   * in the style of `old`, placed at `col`. */
  private rendered(key: string | null, value: Json, old: unknown, col: number): string {
    const doc = new Document();
    const node = styled(doc, value, old);
    const container = key === null ? new YAMLSeq() : new YAMLMap();
    if (key === null) (container as YAMLSeq).items.push(node);
    else (container as YAMLMap).items.push(doc.createPair(key, node));
    return render(container, this.pad(old), col);
  }

  /** Edits that turn `node` (which reads as `before`) into `after`. */
  node(node: unknown, before: Json, after: Json): void {
    if (jsonEqual(before, after)) return;
    if (isMap(node) && !node.flow && isObject(before) && isObject(after)) return this.map(node, before, after);
    if (isSeq(node) && !node.flow && Array.isArray(before) && Array.isArray(after)) return this.seq(node, before, after);
    if ((isMap(node) || isSeq(node)) && node.flow) return this.flow(node, before, after);
    if (isScalar(node)) return this.scalar(node, after);
    throw new Rerender();
  }

  /** A scalar written again where it stands, when the new value fits on its line. */
  private scalar(node: Scalar, after: Json): void {
    if (!node.range || (typeof after === 'object' && after !== null)) throw new Rerender();
    if (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL) throw new Rerender();
    const doc = new Document();
    const text = render(styled(doc, after, node), false, 0);
    if (text.includes('\n')) throw new Rerender();
    this.edits.push({ start: node.range[0], end: node.range[1], text });
  }

  /** An inline map or list with the same keys (or length): its changed values in place. */
  private flow(node: YAMLMap | YAMLSeq, before: Json, after: Json): void {
    if (isMap(node) && isObject(before) && isObject(after)) {
      const keys = (o: { [key: string]: Json }) => Object.keys(o).filter((k) => has(o, k)).sort().join('\n');
      if (keys(before) !== keys(after) || node.items.length !== Object.keys(before).length) throw new Rerender();
      for (const pair of node.items) {
        const key = this.keyOf(pair);
        if (key === null || !has(after, key)) throw new Rerender();
        this.node(pair.value, before[key], after[key]);
      }
      return;
    }
    if (isSeq(node) && Array.isArray(before) && Array.isArray(after) && before.length === after.length && node.items.length === before.length) {
      node.items.forEach((item, i) => this.node(item, before[i], after[i]));
      return;
    }
    throw new Rerender();
  }

  private keyOf(pair: { key: unknown }): string | null {
    return isScalar(pair.key) && typeof pair.key.value === 'string' ? pair.key.value : null;
  }

  private map(node: YAMLMap, before: { [key: string]: Json }, after: { [key: string]: Json }): void {
    const { text } = this;
    const pairs = node.items;
    if (!pairs.length || !isNode(pairs[0].key) || !pairs[0].key.range) throw new Rerender();
    const col = column(text, pairs[0].key.range[0]);
    const seen = new Set<string>();
    for (const pair of pairs) {
      const key = this.keyOf(pair);
      // A key that is not a string is no field of a workflow: left as it is.
      if (key === null) continue;
      if (!isNode(pair.key) || !pair.key.range) throw new Rerender();
      seen.add(key);
      const start = pair.key.range[0];
      const value = isNode(pair.value) ? pair.value : null;
      const end = value?.range ? Math.max(contentEnd(text, value), pair.key.range[1]) : pair.key.range[1];
      if (!has(after, key)) {
        if (!has(before, key)) continue;
        // Removed: its lines go, unless it shares a line with something else (`- id: x`).
        const from = lineStart(text, start);
        if (text.slice(from, start).trim() !== '') throw new Rerender();
        this.edits.push({ start: from, end: lineEnd(text, end), text: '' });
        continue;
      }
      if (!has(before, key)) {
        if (!jsonEqual(value ? (value.toJSON() as Json) : null, after[key])) this.edits.push({ start, end, text: this.rendered(key, after[key], value, col) });
        continue;
      }
      const mark = this.edits.length;
      try {
        this.node(value, before[key], after[key]);
      } catch (e) {
        if (!(e instanceof Rerender)) throw e;
        this.edits.length = mark;
        this.edits.push({ start, end, text: this.rendered(key, after[key], value, col) });
      }
    }
    const added = Object.keys(after).filter((k) => has(after, k) && !seen.has(k));
    if (added.length) {
      const last = pairs[pairs.length - 1];
      const lastNode = (isNode(last.value) && last.value.range ? last.value : last.key) as Node;
      const at = lineEnd(text, contentEnd(text, lastNode));
      const lead = at === text.length && !text.endsWith('\n') ? '\n' : '';
      const body = added.map((k) => ' '.repeat(col) + this.rendered(k, after[k], null, col) + '\n').join('');
      this.edits.push({ start: at, end: at, text: lead + body });
    }
  }

  private seq(node: YAMLSeq, before: Json[], after: Json[]): void {
    const { text } = this;
    const items = node.items;
    if (items.length !== before.length || !items.length) throw new Rerender();
    const match = matchItems(before, after);
    if (!match) throw new Rerender();
    const kept = match.filter((m) => m >= 0);
    if (kept.some((m, i) => i > 0 && m <= kept[i - 1])) throw new Rerender(); // reordered
    const nodes = items.map((it) => (isNode(it) && it.range ? it : null));
    if (nodes.some((n) => !n)) throw new Rerender();
    const first = nodes[0]!;
    const dashes = nodes.map((n) => text.lastIndexOf('-', n!.range![0]));
    const col = column(text, dashes[0]);
    if (dashes.some((d, i) => d < 0 || column(text, d) !== col || text.slice(lineStart(text, d), d).trim() !== '' || d > nodes[i]!.range![0]))
      throw new Rerender();
    // Steps written with a blank line between them get one between new ones too.
    const spaced = nodes.length > 1 && /\n[ \t]*\n/.test(text.slice(contentEnd(text, first), dashes[1]));
    const sep = spaced ? '\n' : '';
    const fresh = (v: Json) => ' '.repeat(col) + this.rendered(null, v, null, col) + '\n';
    // Removed items, with the comments just above them.
    const keptSet = new Set(kept);
    nodes.forEach((n, i) => {
      if (keptSet.has(i)) return;
      const from = i === 0 ? lineStart(text, dashes[0]) : itemBlockStart(text, dashes[i], col);
      let end = lineEnd(text, contentEnd(text, n!));
      // The first item takes the blank lines after it along (the next one becomes the first).
      if (i === 0) while (end < text.length && text.slice(end, lineEnd(text, end)).trim() === '') end = lineEnd(text, end);
      this.edits.push({ start: from, end, text: '' });
    });
    // Kept items: patched in place (the whole item written again when that cannot be done).
    match.forEach((m, i) => {
      if (m < 0) return;
      const mark = this.edits.length;
      try {
        this.node(items[m], before[m], after[i]);
      } catch (e) {
        if (!(e instanceof Rerender)) throw e;
        this.edits.length = mark;
        const n = nodes[m]!;
        this.edits.push({ start: n.range![0], end: contentEnd(text, n), text: this.rendered(null, after[i], items[m], col).replace(/^- /, '') });
      }
    });
    // New items: after the kept item before them, or before the first one.
    let i = 0;
    while (i < after.length) {
      if (match[i] >= 0) {
        i++;
        continue;
      }
      const rendered: string[] = [];
      let j = i;
      while (j < after.length && match[j] < 0) rendered.push(fresh(after[j++]));
      const prev = i > 0 ? match[i - 1] : -1;
      if (prev >= 0) {
        const at = lineEnd(text, contentEnd(text, nodes[prev]!));
        const lead = at === text.length && !text.endsWith('\n') ? '\n' : '';
        this.edits.push({ start: at, end: at, text: lead + rendered.map((r) => sep + r).join('') });
      } else {
        const next = kept.length ? kept[0] : 0;
        const at = next === 0 ? lineStart(text, dashes[0]) : itemBlockStart(text, dashes[next], col);
        this.edits.push({ start: at, end: at, text: rendered.map((r) => r + sep).join('') });
      }
      i = j;
    }
  }
}

function applyEdits(text: string, edits: Edit[]): string {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  for (let i = 1; i < sorted.length; i++) if (sorted[i].start < sorted[i - 1].end) throw new Rerender();
  let out = text;
  for (const e of sorted.reverse()) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * The YAML `source` changed from `before` (what it read as) to `after`, touching only what
 * changed. Null when the source cannot be patched (it does not parse, is not a mapping, or the
 * result would not read as `after` where it changed): the caller saves the document instead.
 */
export function patchYaml(source: string, before: unknown, after: unknown): string | null {
  try {
    const doc = parseDocument(source);
    if (doc.errors.length || !isMap(doc.contents) || doc.contents.flow) return null;
    const b = JSON.parse(JSON.stringify(before)) as Json;
    const a = JSON.parse(JSON.stringify(after)) as Json;
    if (jsonEqual(b, a)) return source;
    const patcher = new Patcher(source);
    patcher.node(doc.contents, b, a);
    const out = applyEdits(source, patcher.edits);
    const expected = applyJs(doc.toJS() as Json, b, a);
    return jsonEqual(parse(out), expected) ? out : null;
  } catch {
    return null;
  }
}
