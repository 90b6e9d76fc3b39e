// Workflow document ↔ canvas graph. Pure functions: no React, no IO.
//
// The document is the truth the server stores; the graph is what the canvas edits. Converting a
// document to a graph and back gives the same document (every field of every step is kept, and
// `after` is written only where it differs from the implicit "the step listed before" rule), so
// an imported YAML file round-trips unchanged.
import type { Step, WorkflowDocument } from '../lib/types';
import { autoLayout, nodeSize } from './layout';
import { isBranch, portsOf } from './ports';
import {
  TRIGGER_ID,
  isStepNode,
  type Graph,
  type StepNode,
  type TriggerNode,
  type WeftEdge,
  type WeftNode,
  type WorkflowMeta,
} from './types';

/** One input of a step: the trigger, or a step with an optional port. */
export interface Ref {
  source: string;
  port?: string;
}

export function refKey(ref: Ref): string {
  return ref.port ? `${ref.source}.${ref.port}` : ref.source;
}

export function parseRef(entry: string): Ref {
  const dot = entry.indexOf('.');
  return dot < 0 ? { source: entry } : { source: entry.slice(0, dot), port: entry.slice(dot + 1) };
}

/**
 * The inputs of `steps[index]` by the format's rules: `after` absent → the step listed before
 * (the trigger for the first step); `after: []` → the trigger; else the listed steps/ports.
 */
export function resolveAfter(after: Step['after'], steps: readonly Pick<Step, 'id'>[], index: number): Ref[] {
  if (after === undefined || after === null) {
    return index === 0 ? [{ source: TRIGGER_ID }] : [{ source: steps[index - 1].id }];
  }
  if (after.length === 0) return [{ source: TRIGGER_ID }];
  return after.map(parseRef);
}

/** The inputs of every step, by step id. */
export function dependencies(steps: readonly Step[]): Map<string, Ref[]> {
  const out = new Map<string, Ref[]>();
  steps.forEach((s, i) => out.set(s.id, resolveAfter(s.after, steps, i)));
  return out;
}

/** Ids of the steps upstream of `stepId` (its transitive inputs), in document order. */
export function upstreamSteps(steps: readonly Step[], stepId: string): string[] {
  const deps = dependencies(steps);
  const seen = new Set<string>();
  const stack = [...(deps.get(stepId) ?? [])].map((r) => r.source);
  while (stack.length) {
    const id = stack.pop()!;
    if (id === TRIGGER_ID || seen.has(id) || id === stepId) continue;
    seen.add(id);
    for (const r of deps.get(id) ?? []) stack.push(r.source);
  }
  return steps.map((s) => s.id).filter((id) => seen.has(id));
}

export function edgeId(source: string, sourceHandle: string | null | undefined, target: string): string {
  return `e:${source}${sourceHandle ? `.${sourceHandle}` : ''}->${target}`;
}

export function makeEdge(source: string, sourceHandle: string | null | undefined, target: string): WeftEdge {
  return {
    id: edgeId(source, sourceHandle, target),
    source,
    target,
    sourceHandle: sourceHandle ?? null,
    targetHandle: null,
  };
}

export function stepNodeType(action: string): 'branch' | 'step' {
  return isBranch(action) ? 'branch' : 'step';
}

function portCount(step: Step): number {
  return portsOf(step)?.length ?? 0;
}

export function makeStepNode(step: Step, position: { x: number; y: number }, pinned: boolean): StepNode {
  const type = stepNodeType(step.action);
  return { id: step.id, type, position, data: { step, pinned } } as StepNode;
}

export interface ToGraphOptions {
  /** Ignore `ui` positions and lay every node out (the "auto-layout" command). */
  relayout?: boolean;
}

/** The edges of every step, from its `after` (or the implicit rule). */
export function edgesOf(steps: readonly Step[]): WeftEdge[] {
  const ids = new Set(steps.map((s) => s.id));
  const edges: WeftEdge[] = [];
  const seen = new Set<string>();
  steps.forEach((step, i) => {
    for (const ref of resolveAfter(step.after, steps, i)) {
      // A reference to an unknown step has no edge; validation reports it.
      if (ref.source !== TRIGGER_ID && !ids.has(ref.source)) continue;
      const e = makeEdge(ref.source, ref.port, step.id);
      if (seen.has(e.id)) continue;
      seen.add(e.id);
      edges.push(e);
    }
  });
  return edges;
}

/** Splits a document into its meta (everything but the steps) and its steps. */
export function splitDocument(doc: WorkflowDocument): { meta: WorkflowMeta; steps: Step[] } {
  const { steps, ...meta } = doc;
  return { meta: meta as WorkflowMeta, steps: steps ?? [] };
}

export function toGraph(doc: WorkflowDocument, options: ToGraphOptions = {}): Graph & { meta: WorkflowMeta } {
  const { meta, steps } = splitDocument(doc);
  const edges = edgesOf(steps);
  const laid = autoLayout(
    [{ id: TRIGGER_ID }, ...steps.map((s) => ({ id: s.id, ports: portCount(s) }))],
    edges,
  );
  untangle(steps, edges, laid);
  const hasUi = (s: Step) => !options.relayout && isPosition(s.ui);
  const stepNodes = steps.map((s) =>
    makeStepNode(s, hasUi(s) ? { x: s.ui!.x, y: s.ui!.y } : laid.get(s.id)!, hasUi(s)),
  );
  let triggerPos = laid.get(TRIGGER_ID)!;
  if (steps.some(hasUi)) triggerPos = triggerPositionFor(stepNodes, edges) ?? triggerPos;
  const trigger: TriggerNode = {
    id: TRIGGER_ID,
    type: 'trigger',
    position: triggerPos,
    data: { trigger: meta.trigger },
    deletable: false,
  };
  return { meta, nodes: [trigger, ...stepNodes], edges };
}

/**
 * dagre knows nothing of ports: put the steps fed by an if/switch in the order of its ports
 * (`true` above `false`), so that their edges do not cross.
 */
function untangle(steps: Step[], edges: WeftEdge[], laid: Map<string, { x: number; y: number }>): void {
  for (const step of steps) {
    const ports = portsOf(step);
    if (!ports) continue;
    const targets = edges
      .filter((e) => e.source === step.id && e.sourceHandle && edges.filter((x) => x.target === e.target).length === 1)
      .map((e) => ({ id: e.target, rank: ports.indexOf(e.sourceHandle!) }));
    if (targets.length < 2) continue;
    const slots = targets.map((t) => laid.get(t.id)!.y).sort((a, b) => a - b);
    const xs = new Set(targets.map((t) => laid.get(t.id)!.x));
    if (xs.size !== 1) continue; // only siblings in one column swap places
    [...targets]
      .sort((a, b) => a.rank - b.rank)
      .forEach((t, i) => laid.set(t.id, { ...laid.get(t.id)!, y: slots[i] }));
  }
}

function isPosition(ui: unknown): ui is { x: number; y: number } {
  return (
    typeof ui === 'object' &&
    ui !== null &&
    typeof (ui as { x?: unknown }).x === 'number' &&
    typeof (ui as { y?: unknown }).y === 'number'
  );
}

/** The trigger has no `ui` field: place it left of the steps it starts. */
function triggerPositionFor(steps: StepNode[], edges: WeftEdge[]): { x: number; y: number } | null {
  const starts = new Set(edges.filter((e) => e.source === TRIGGER_ID).map((e) => e.target));
  const children = steps.filter((n) => starts.has(n.id));
  const basis = children.length ? children : steps;
  if (!basis.length) return null;
  const x = Math.min(...basis.map((n) => n.position.x)) - nodeSize().width - 90;
  const y = basis.reduce((sum, n) => sum + n.position.y, 0) / basis.length;
  return { x: Math.round(x), y: Math.round(y) };
}

function sameRefs(a: Ref[], b: Ref[]): boolean {
  const ka = new Set(a.map(refKey));
  const kb = new Set(b.map(refKey));
  if (ka.size !== kb.size) return false;
  for (const k of ka) if (!kb.has(k)) return false;
  return true;
}

/**
 * Sets `key` on a copy of `obj`, keeping its place when it exists, else inserting it right
 * after the last of `anchors` present (or at the end).
 */
function setKey<T extends object>(obj: T, key: string, value: unknown, anchors: string[]): T {
  if (key in obj) return { ...obj, [key]: value };
  const entries = Object.entries(obj);
  let at = -1;
  for (const a of anchors) {
    const i = entries.findIndex(([k]) => k === a);
    if (i > at) at = i;
  }
  if (at < 0) at = entries.length - 1;
  entries.splice(at + 1, 0, [key, value]);
  return Object.fromEntries(entries) as T;
}

function deleteKey<T extends object>(obj: T, key: string): T {
  if (!(key in obj)) return obj;
  const copy = { ...obj } as Record<string, unknown>;
  delete copy[key];
  return copy as T;
}

/** The `after` a step needs for the given inputs, given the steps' (new) order. */
export function afterFor(inputs: Ref[], original: Step['after'], steps: readonly Pick<Step, 'id'>[], index: number): Step['after'] {
  // The trigger is implied by any other input (everything runs after the trigger).
  let refs = inputs.filter((r) => r.source !== TRIGGER_ID);
  const fromTrigger = refs.length === 0;
  if (fromTrigger) refs = [{ source: TRIGGER_ID }];
  // The same meaning as written: keep the user's form (absent, [], or the list as ordered).
  if (sameRefs(refs, resolveAfter(original, steps, index))) return original;
  if (sameRefs(refs, resolveAfter(undefined, steps, index))) return undefined;
  if (fromTrigger) return [];
  const order = new Map(steps.map((s, i) => [s.id, i]));
  return [...refs]
    .sort((a, b) => (order.get(a.source) ?? 0) - (order.get(b.source) ?? 0) || refKey(a).localeCompare(refKey(b)))
    .map(refKey);
}

/** The inputs of each step node, from the graph's edges. */
export function inputsByTarget(edges: readonly WeftEdge[]): Map<string, Ref[]> {
  const out = new Map<string, Ref[]>();
  for (const e of edges) {
    const list = out.get(e.target) ?? [];
    list.push(e.sourceHandle ? { source: e.source, port: e.sourceHandle } : { source: e.source });
    out.set(e.target, list);
  }
  return out;
}

/** The step of one node as it will be saved: `after` from the edges, `ui` from the position. */
export function stepFromNode(node: StepNode, index: number, order: readonly Pick<Step, 'id'>[], inputs: Ref[]): Step {
  let step: Step = { ...node.data.step, id: node.id };
  const after = afterFor(inputs, node.data.step.after, order, index);
  step = after === undefined ? deleteKey(step, 'after') : setKey(step, 'after', after, ['id', 'action', 'name', 'description']);
  if (node.data.pinned) {
    step = setKey(step, 'ui', { x: Math.round(node.position.x), y: Math.round(node.position.y) }, Object.keys(step));
  } else {
    step = deleteKey(step, 'ui');
  }
  return step;
}

/** Graph → document. Step order is the order of the step nodes. */
export function fromGraph(meta: WorkflowMeta, nodes: readonly WeftNode[], edges: readonly WeftEdge[]): WorkflowDocument {
  const stepNodes = nodes.filter(isStepNode);
  const order = stepNodes.map((n) => ({ id: n.id }));
  const inputs = inputsByTarget(edges);
  const steps = stepNodes.map((n, i) => stepFromNode(n, i, order, inputs.get(n.id) ?? []));
  // A workflow without steps is written without `steps` (the format's default is []).
  return (steps.length ? { ...meta, steps } : { ...meta }) as WorkflowDocument;
}

// ---------------------------------------------------------------------------------------------
// Editing helpers used by the store (pure).

const STEP_ID = /^[a-z_][a-z0-9_]*$/;

export function isValidStepId(id: string): boolean {
  return STEP_ID.test(id);
}

/** A fresh step id from the action's kind: `http_1`, `http_2`, … */
export function freshStepId(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  const stem = base.replace(/[^a-z0-9_]/g, '_').replace(/^([0-9])/, '_$1') || 'step';
  for (let i = 1; ; i++) {
    const id = `${stem}_${i}`;
    if (!used.has(id)) return id;
  }
}

/** Rewrites `steps.<from>` references to `steps.<to>` in every string leaf of a value. */
export function renameReferences<T>(value: T, from: string, to: string): T {
  const re = new RegExp(`(\\bsteps\\.)${from}(?![a-z0-9_])`, 'g');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.includes('{{') ? v.replace(re, `$1${to}`) : v;
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return walk(value) as T;
}

/** Rewrites `after` entries naming `from` (a plain id or `from.port`) to `to`. */
export function renameAfter(after: Step['after'], from: string, to: string): Step['after'] {
  if (!after) return after;
  return after.map((entry) => {
    const ref = parseRef(entry);
    return ref.source === from ? refKey({ source: to, port: ref.port }) : entry;
  });
}

/** Whether adding `source → target` closes a cycle. */
export function wouldCycle(edges: readonly WeftEdge[], source: string, target: string): boolean {
  if (source === target) return true;
  const out = new Map<string, string[]>();
  for (const e of edges) out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  const stack = [target];
  const seen = new Set<string>();
  while (stack.length) {
    const id = stack.pop()!;
    if (id === source) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(out.get(id) ?? []));
  }
  return false;
}
