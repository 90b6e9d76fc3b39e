// The editor's store: the graph being edited, its history (undo/redo), the server's validation
// problems, and the live state of a run. One editor is open at a time, so one store.
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from '@xyflow/react';
import { create } from 'zustand';
import type {
  Execution,
  ExecutionStatus,
  Problem,
  Step,
  StepEvent,
  StepResult,
  StepStatus,
  Workflow,
  WorkflowDocument,
} from '../lib/types';
import type { LastRunData } from './completion';
import { nodeSize } from './layout';
import {
  edgesOf,
  freshStepId,
  fromGraph,
  isValidStepId,
  makeEdge,
  makeStepNode,
  renameAfter,
  renameReferences,
  stepFromNode,
  inputsByTarget,
  stepNodeType,
  toGraph,
  wouldCycle,
} from './model';
import { portsOf } from './ports';
import { TRIGGER_ID, isStepNode, type StepNode, type WeftEdge, type WeftNode, type WorkflowMeta } from './types';

export interface LiveStep {
  status: StepStatus;
  attempt?: number;
  result?: StepResult;
}

export interface RunView {
  executionId: string;
  status: ExecutionStatus;
  steps: Record<string, LiveStep>;
  execution?: Execution;
}

/** What the canvas shows: the draft being edited, or (read-only) a version or an execution. */
export type ViewMode =
  | { kind: 'draft' }
  | { kind: 'version'; version: number }
  | { kind: 'execution'; executionId: string; version: number };

interface Snapshot {
  meta: WorkflowMeta;
  nodes: WeftNode[];
  edges: WeftEdge[];
}

interface Clipboard {
  steps: Step[];
  edges: WeftEdge[];
}

let clipboard: Clipboard | null = null;

const HISTORY_LIMIT = 100;
const COALESCE_MS = 1200;

export interface EditorState {
  record: Workflow | null;
  meta: WorkflowMeta;
  nodes: WeftNode[];
  edges: WeftEdge[];
  /** JSON of the last saved document, to tell unsaved changes. */
  savedJson: string;
  /** When the draft (work in progress kept with its problems) was saved; null when the
   * editor holds the current version. */
  draftSavedAt: string | null;
  mode: ViewMode;
  /** The draft, put aside while a version or an execution is shown. */
  stash: (Snapshot & { past: Snapshot[]; future: Snapshot[]; problems: Problem[] }) | null;
  past: Snapshot[];
  future: Snapshot[];
  lastCommit: { key: string; at: number } | null;
  problems: Problem[];
  run: RunView | null;
  lastRun: LastRunData | null;
  /** Bumped to ask the canvas to fit the view (after load or layout). */
  fitRequest: number;

  /** Opens a workflow: its current version, or its draft when it has one. */
  load: (record: Workflow, draft?: { document: WorkflowDocument; saved_at: string } | null) => void;
  setRecord: (record: Workflow, savedDoc?: WorkflowDocument) => void;
  document: () => WorkflowDocument;
  commit: (key?: string) => void;
  undo: () => void;
  redo: () => void;
  onNodesChange: (changes: NodeChange<WeftNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<WeftEdge>[]) => void;
  canConnect: (c: Connection | WeftEdge) => string | null;
  connect: (c: Connection) => void;
  reconnect: (old: WeftEdge, c: Connection) => void;
  addStep: (action: string, defaults: unknown, at?: XYPosition) => string;
  deleteSelection: () => void;
  deleteEdge: (id: string) => void;
  updateStep: (id: string, update: (step: Step) => Step, key?: string) => void;
  replaceStep: (id: string, step: Step) => string | null;
  renameStep: (from: string, to: string) => string | null;
  updateMeta: (update: (meta: WorkflowMeta) => WorkflowMeta, key?: string) => void;
  layout: () => void;
  select: (ids: string[]) => void;
  selectAll: () => void;
  copy: () => Step[];
  paste: () => void;
  setProblems: (problems: Problem[]) => void;
  startRun: (executionId: string) => void;
  applyStepEvent: (event: StepEvent) => void;
  finishRun: (status: ExecutionStatus) => void;
  showExecution: (execution: Execution) => void;
  setLastRun: (data: LastRunData | null) => void;
  mergeLastRunRequest: (request: LastRunData['request']) => void;
  view: (doc: WorkflowDocument, mode: ViewMode) => void;
  backToDraft: () => void;
  /** Forgets the workflow when the editor closes: nothing is left to save, or to ask about. */
  close: () => void;
}

function clean(nodes: WeftNode[]): WeftNode[] {
  return nodes.map((n) => (n.selected || n.dragging ? { ...n, selected: false, dragging: false } : n));
}

function snapshot(s: Pick<EditorState, 'meta' | 'nodes' | 'edges'>): Snapshot {
  return { meta: s.meta, nodes: clean(s.nodes), edges: s.edges.map((e) => (e.selected ? { ...e, selected: false } : e)) };
}

const emptyMeta: WorkflowMeta = { name: '', trigger: { type: 'manual' } };

/** Outputs and request of an execution, for template completion. */
export function lastRunOf(execution: Execution): LastRunData {
  const outputs: Record<string, unknown> = {};
  for (const s of execution.steps ?? []) if (s.status === 'succeeded' || s.output !== undefined) outputs[s.step_id] = s.output;
  return { request: execution.request ?? null, outputs };
}

function runViewOf(execution: Execution): RunView {
  const steps: Record<string, LiveStep> = {};
  for (const s of execution.steps ?? []) steps[s.step_id] = { status: s.status, attempt: s.attempts, result: s };
  return { executionId: execution.id, status: execution.status, steps, execution };
}

/** The state of no open workflow (also what `close` returns to). */
const closed = {
  record: null,
  meta: emptyMeta,
  nodes: [],
  edges: [],
  savedJson: '',
  draftSavedAt: null,
  mode: { kind: 'draft' },
  stash: null,
  past: [],
  future: [],
  lastCommit: null,
  problems: [],
  run: null,
  lastRun: null,
} satisfies Partial<EditorState>;

export const useEditor = create<EditorState>((set, get) => ({
  ...closed,
  fitRequest: 0,

  load: (record, draft) => {
    const g = toGraph(draft ? draft.document : record.workflow);
    set({
      record,
      meta: g.meta,
      nodes: g.nodes,
      edges: g.edges,
      savedJson: JSON.stringify(fromGraph(g.meta, g.nodes, g.edges)),
      draftSavedAt: draft ? draft.saved_at : null,
      mode: { kind: 'draft' },
      stash: null,
      past: [],
      future: [],
      lastCommit: null,
      problems: [],
      run: null,
      lastRun: null,
      fitRequest: get().fitRequest + 1,
    });
  },

  setRecord: (record, savedDoc) => {
    set({ record, ...(savedDoc ? { savedJson: JSON.stringify(savedDoc) } : {}) });
  },

  document: () => {
    const { meta, nodes, edges } = get();
    return fromGraph(meta, nodes, edges);
  },

  commit: (key) => {
    const s = get();
    const now = Date.now();
    if (key && s.lastCommit && s.lastCommit.key === key && now - s.lastCommit.at < COALESCE_MS) {
      set({ lastCommit: { key, at: now } });
      return;
    }
    set({
      past: [...s.past.slice(-(HISTORY_LIMIT - 1)), snapshot(s)],
      future: [],
      lastCommit: key ? { key, at: now } : null,
    });
  },

  undo: () => {
    const s = get();
    if (s.mode.kind !== 'draft' || !s.past.length) return;
    const prev = s.past[s.past.length - 1];
    set({ ...prev, past: s.past.slice(0, -1), future: [snapshot(s), ...s.future], lastCommit: null });
  },

  redo: () => {
    const s = get();
    if (s.mode.kind !== 'draft' || !s.future.length) return;
    const [next, ...rest] = s.future;
    set({ ...next, past: [...s.past, snapshot(s)], future: rest, lastCommit: null });
  },

  onNodesChange: (changes) => {
    const s = get();
    const readOnly = s.mode.kind !== 'draft';
    const allowed = changes.filter((c) => {
      if (c.type === 'remove') return false; // deletion goes through deleteSelection
      if (readOnly && c.type === 'position') return false;
      return true;
    });
    if (!allowed.length) return;
    let nodes = applyNodeChanges(allowed, s.nodes);
    // A node the user moves keeps its place: its position is written to `ui`.
    const moved = new Set(allowed.filter((c) => c.type === 'position' && c.dragging).map((c) => (c as { id: string }).id));
    if (moved.size) {
      nodes = nodes.map((n) => (moved.has(n.id) && isStepNode(n) && !n.data.pinned ? ({ ...n, data: { ...n.data, pinned: true } } as WeftNode) : n));
    }
    set({ nodes });
  },

  onEdgesChange: (changes) => {
    const allowed = changes.filter((c) => c.type !== 'remove');
    if (allowed.length) set({ edges: applyEdgeChanges(allowed, get().edges) });
  },

  canConnect: (c) => {
    const { edges, nodes, mode } = get();
    if (mode.kind !== 'draft') return 'This view is read-only.';
    if (!c.source || !c.target) return 'Connect an output to an input.';
    if (c.target === TRIGGER_ID) return 'The trigger has no input.';
    if (c.source === c.target) return 'A step cannot run after itself.';
    const target = nodes.find((n) => n.id === c.target);
    if (!target) return 'Unknown step.';
    const others = edges.filter((e) => !('id' in c && e.id === c.id));
    if (others.some((e) => e.source === c.source && e.target === c.target && (e.sourceHandle ?? null) === (c.sourceHandle ?? null)))
      return 'These steps are already connected.';
    if (wouldCycle(others, c.source, c.target)) return 'That connection would make a cycle.';
    return null;
  },

  connect: (c) => {
    const why = get().canConnect(c);
    if (why) return;
    get().commit();
    let edges = get().edges;
    // Everything runs after the trigger: a trigger input beside step inputs means nothing.
    if (c.source === TRIGGER_ID) {
      if (edges.some((e) => e.target === c.target)) return;
    } else {
      edges = edges.filter((e) => !(e.source === TRIGGER_ID && e.target === c.target));
    }
    set({ edges: [...edges, makeEdge(c.source, c.sourceHandle, c.target)] });
  },

  reconnect: (old, c) => {
    const why = get().canConnect({ ...c, id: old.id } as WeftEdge);
    if (why) return;
    get().commit();
    const edges = get().edges.filter((e) => e.id !== old.id && !(c.source !== TRIGGER_ID && e.source === TRIGGER_ID && e.target === c.target));
    set({ edges: [...edges, makeEdge(c.source, c.sourceHandle, c.target)] });
  },

  addStep: (action, defaults, at) => {
    const s = get();
    if (s.mode.kind !== 'draft') return '';
    const ids = s.nodes.map((n) => n.id);
    const id = freshStepId(action, ids);
    const step: Step = { id, action, with: structuredClone(defaults ?? {}) };
    s.commit();
    // Connect from the selected node (or the last step, or the trigger) and place it to its right.
    const selected = s.nodes.filter((n) => n.selected);
    const steps = s.nodes.filter(isStepNode);
    const from: WeftNode | undefined = at
      ? undefined
      : selected.length === 1
        ? selected[0]
        : (steps[steps.length - 1] ?? s.nodes.find((n) => n.id === TRIGGER_ID));
    let handle: string | null = null;
    if (from && isStepNode(from)) {
      const ports = portsOf(from.data.step);
      if (ports) handle = ports.find((p) => !s.edges.some((e) => e.source === from.id && e.sourceHandle === p)) ?? ports[0];
    }
    let position = at;
    if (!position) {
      const base = from?.position ?? { x: 0, y: 0 };
      const siblings = from ? s.edges.filter((e) => e.source === from.id).length : 0;
      position = { x: base.x + nodeSize().width + 90, y: base.y + siblings * (nodeSize().height + 40) };
    }
    const node = { ...makeStepNode(step, position, true), selected: true } as StepNode;
    // Keep document order: right after the node it follows, else at the end.
    const nodes = s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n));
    const index = from && from.id !== TRIGGER_ID ? nodes.findIndex((n) => n.id === from.id) + 1 : nodes.length;
    nodes.splice(index, 0, node);
    const edges = from ? [...s.edges, makeEdge(from.id, handle, id)] : s.edges;
    // Added by click: bring it into view. Dropped: it is where the pointer was.
    set({ nodes, edges, fitRequest: at ? s.fitRequest : s.fitRequest + 1 });
    return id;
  },

  deleteSelection: () => {
    const s = get();
    if (s.mode.kind !== 'draft') return;
    const gone = new Set(s.nodes.filter((n) => n.selected && n.id !== TRIGGER_ID).map((n) => n.id));
    const goneEdges = new Set(s.edges.filter((e) => e.selected).map((e) => e.id));
    if (!gone.size && !goneEdges.size) return;
    s.commit();
    let edges = s.edges.filter((e) => !goneEdges.has(e.id));
    // Deleting a step in a chain keeps the chain: its one input feeds what it fed.
    const added: WeftEdge[] = [];
    for (const id of gone) {
      const inputs = edges.filter((e) => e.target === id);
      if (inputs.length !== 1 || gone.has(inputs[0].source)) continue;
      const input = inputs[0];
      for (const out of edges.filter((e) => e.source === id && !gone.has(e.target))) {
        const otherInputs = edges.filter((e) => e.target === out.target && e.source !== id);
        if (otherInputs.length === 0) added.push(makeEdge(input.source, input.sourceHandle, out.target));
      }
    }
    edges = [...edges.filter((e) => !gone.has(e.source) && !gone.has(e.target)), ...added];
    set({ nodes: s.nodes.filter((n) => !gone.has(n.id)), edges });
  },

  deleteEdge: (id) => {
    get().commit();
    set({ edges: get().edges.filter((e) => e.id !== id) });
  },

  updateStep: (id, update, key) => {
    const s = get();
    const node = s.nodes.find((n) => n.id === id);
    if (!node || !isStepNode(node) || s.mode.kind !== 'draft') return;
    s.commit(key ? `${id}:${key}` : undefined);
    const step = update(node.data.step);
    const type = stepNodeType(step.action);
    set({
      nodes: get().nodes.map((n) => (n.id === id ? ({ ...n, type, data: { ...node.data, step } } as WeftNode) : n)),
    });
  },

  /** Replaces a step from its YAML (the raw view): its `after` sets the edges; `ui` the position. */
  replaceStep: (id, step) => {
    const s = get();
    const node = s.nodes.find((n) => n.id === id);
    if (!node || !isStepNode(node)) return 'Unknown step.';
    if (step.id !== id) {
      const why = get().renameStep(id, step.id);
      if (why) return why;
      id = step.id;
    }
    s.commit();
    // The edges of this step, from its new `after` (resolved against the current step order).
    const order = get().nodes.filter(isStepNode).map((n) => (n.id === id ? step : { id: n.id, action: n.data.step.action }));
    const mine = edgesOf(order).filter((e) => e.target === id);
    const edges = [...get().edges.filter((e) => e.target !== id), ...mine];
    const ui = step.ui;
    const nodes = get().nodes.map((n) =>
      n.id === id
        ? ({
            ...n,
            type: stepNodeType(step.action),
            position: ui ? { x: ui.x, y: ui.y } : n.position,
            data: { step, pinned: ui ? true : (n as StepNode).data.pinned },
          } as WeftNode)
        : n,
    );
    set({ nodes, edges });
    return null;
  },

  renameStep: (from, to) => {
    const s = get();
    if (from === to) return null;
    if (!isValidStepId(to)) return 'An id is lower-case letters, digits and _, not starting with a digit.';
    if (s.nodes.some((n) => n.id === to)) return `A step "${to}" already exists.`;
    s.commit();
    const nodes = s.nodes.map((n) => {
      if (!isStepNode(n)) return n;
      const step = renameReferences({ ...n.data.step, after: renameAfter(n.data.step.after, from, to) }, from, to);
      if (!('after' in n.data.step)) delete step.after;
      if (n.id === from) return { ...n, id: to, data: { ...n.data, step: { ...step, id: to } } } as WeftNode;
      return { ...n, data: { ...n.data, step } } as WeftNode;
    });
    const edges = s.edges.map((e) =>
      e.source === from || e.target === from
        ? makeEdge(e.source === from ? to : e.source, e.sourceHandle, e.target === from ? to : e.target)
        : e,
    );
    set({ nodes, edges, problems: s.problems.filter((p) => p.step !== from) });
    return null;
  },

  updateMeta: (update, key) => {
    const s = get();
    if (s.mode.kind !== 'draft') return;
    s.commit(key ? `meta:${key}` : undefined);
    const meta = update(s.meta);
    set({
      meta,
      nodes: s.nodes.map((n) => (n.id === TRIGGER_ID && n.type === 'trigger' ? { ...n, data: { trigger: meta.trigger } } : n)),
    });
  },

  layout: () => {
    const s = get();
    if (s.mode.kind === 'draft') s.commit();
    const g = toGraph(fromGraph(s.meta, s.nodes, s.edges), { relayout: true });
    const selected = new Set(s.nodes.filter((n) => n.selected).map((n) => n.id));
    const pos = new Map(g.nodes.map((n) => [n.id, n.position]));
    set({
      nodes: s.nodes.map((n) => ({
        ...n,
        position: pos.get(n.id) ?? n.position,
        selected: selected.has(n.id),
        ...(isStepNode(n) ? { data: { ...n.data, pinned: false } } : {}),
      })) as WeftNode[],
      fitRequest: s.fitRequest + 1,
    });
  },

  select: (ids) => {
    const want = new Set(ids);
    set({
      nodes: get().nodes.map((n) => (!!n.selected === want.has(n.id) ? n : { ...n, selected: want.has(n.id) })),
      edges: get().edges.map((e) => (e.selected ? { ...e, selected: false } : e)),
    });
  },

  selectAll: () => set({ nodes: get().nodes.map((n) => ({ ...n, selected: n.id !== TRIGGER_ID })) }),

  copy: () => {
    const s = get();
    const picked = s.nodes.filter((n): n is StepNode => isStepNode(n) && !!n.selected);
    if (!picked.length) return [];
    const ids = new Set(picked.map((n) => n.id));
    const inputs = inputsByTarget(s.edges);
    const order = s.nodes.filter(isStepNode).map((n) => ({ id: n.id }));
    const steps = picked.map((n) => stepFromNode({ ...n, data: { ...n.data, pinned: true } }, 0, order, inputs.get(n.id) ?? []));
    clipboard = { steps, edges: s.edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
    return steps;
  },

  paste: () => {
    const s = get();
    if (!clipboard || s.mode.kind !== 'draft') return;
    s.commit();
    const taken = new Set(s.nodes.map((n) => n.id));
    const renames = new Map<string, string>();
    for (const step of clipboard.steps) {
      const id = taken.has(step.id) ? freshStepId(step.id.replace(/_\d+$/, ''), taken) : step.id;
      taken.add(id);
      renames.set(step.id, id);
    }
    const added: WeftNode[] = clipboard.steps.map((step) => {
      let copy: Step = structuredClone(step);
      for (const [from, to] of renames) if (from !== to) copy = renameReferences(copy, from, to);
      const { after: _after, ui, ...rest } = copy;
      const id = renames.get(step.id)!;
      const position = { x: (ui?.x ?? 0) + 40, y: (ui?.y ?? 0) + 60 };
      return { ...makeStepNode({ ...rest, id } as Step, position, true), selected: true } as WeftNode;
    });
    const edges = clipboard.edges.map((e) => makeEdge(renames.get(e.source)!, e.sourceHandle, renames.get(e.target)!));
    set({
      nodes: [...s.nodes.map((n) => (n.selected ? { ...n, selected: false } : n)), ...added],
      edges: [...s.edges, ...edges],
    });
  },

  setProblems: (problems) => set({ problems }),

  startRun: (executionId) => set({ run: { executionId, status: 'queued', steps: {} } }),

  applyStepEvent: (ev) => {
    const run = get().run;
    if (!run) return;
    const prev = run.steps[ev.step_id];
    let live: LiveStep;
    if (ev.type === 'started') live = { ...prev, status: 'running', attempt: Math.max(ev.attempt, prev?.attempt ?? 0) };
    else if (ev.type === 'retrying') live = { ...prev, status: 'retrying', attempt: ev.attempt };
    else {
      // The finished event carries the step's full result.
      const { type: _type, ...result } = ev;
      live = { status: result.status, attempt: result.attempts, result };
    }
    // A step that starts means the execution runs; a finished one replayed by the stream of a
    // waiting execution does not.
    const status = ev.type === 'finished' && run.status !== 'queued' ? run.status : 'running';
    set({ run: { ...run, status, steps: { ...run.steps, [ev.step_id]: live } } });
  },

  finishRun: (status) => {
    const run = get().run;
    if (run) set({ run: { ...run, status } });
  },

  showExecution: (execution) => {
    set({ run: runViewOf(execution) });
    if (execution.status === 'succeeded' || execution.status === 'failed') set({ lastRun: lastRunOf(execution) });
  },

  setLastRun: (lastRun) => set({ lastRun }),

  mergeLastRunRequest: (request) => set({ lastRun: { ...(get().lastRun ?? {}), request } }),

  view: (doc, mode) => {
    const s = get();
    const stash = s.stash ?? { ...snapshot(s), past: s.past, future: s.future, problems: s.problems };
    const g = toGraph(doc);
    set({ stash, mode, meta: g.meta, nodes: g.nodes, edges: g.edges, past: [], future: [], problems: [], fitRequest: s.fitRequest + 1 });
  },

  backToDraft: () => {
    const s = get();
    if (!s.stash) return set({ mode: { kind: 'draft' } });
    const { past, future, problems, ...snap } = s.stash;
    set({ ...snap, past, future, problems, stash: null, mode: { kind: 'draft' }, run: null, fitRequest: s.fitRequest + 1 });
  },

  close: () => {
    set(closed);
  },
}));

/** The document as it would be saved now. */
export function currentDocument(): WorkflowDocument {
  return useEditor.getState().document();
}

/** The one selected node, if exactly one is selected. */
export function selectedNode(s: Pick<EditorState, 'nodes'>): WeftNode | undefined {
  const sel = s.nodes.filter((n) => n.selected);
  return sel.length === 1 ? sel[0] : undefined;
}
