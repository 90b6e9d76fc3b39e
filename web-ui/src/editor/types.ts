// The editor's graph types: typed xyflow nodes for the trigger and the steps.
import type { Edge, Node } from '@xyflow/react';
import type { OnError, Step, Trigger } from '../lib/types';

/** The id of the trigger's node; not a valid step id, so it never collides with one. */
export const TRIGGER_ID = '$trigger';

export type TriggerNodeData = {
  trigger: Trigger;
};

export type StepNodeData = {
  /**
   * The step as the document holds it: every field, known or not, is kept. Its `after` and `ui`
   * are the ones it was loaded with; the graph's edges and the node's position are the truth, and
   * `fromGraph` writes them back (keeping the original `after` when it means the same).
   */
  step: Step;
  /** The position is the user's (written to `ui`) rather than the auto-layout's. */
  pinned: boolean;
};

export type TriggerNode = Node<TriggerNodeData, 'trigger'>;
/** A step with a single output. */
export type ActionNode = Node<StepNodeData, 'step'>;
/** An `if` or `switch` step: one output handle per port. */
export type BranchNode = Node<StepNodeData, 'branch'>;
export type StepNode = ActionNode | BranchNode;
export type WeftNode = TriggerNode | StepNode;
export type WeftEdge = Edge;

/** The document without its steps: name, description, trigger, timeout, concurrency and unknown fields. */
export interface WorkflowMeta {
  name: string;
  description?: string | null;
  trigger: Trigger;
  timeout?: string | null;
  on_error?: OnError | null;
  concurrency?: { limit: number; key?: string | null } | null;
  [field: string]: unknown;
}

export interface Graph {
  nodes: WeftNode[];
  edges: WeftEdge[];
}

export function isStepNode(node: WeftNode): node is StepNode {
  return node.type === 'step' || node.type === 'branch';
}
