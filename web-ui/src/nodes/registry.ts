// The node kinds of the canvas. Defined once at module scope so xyflow never re-mounts nodes.
import type { NodeTypes } from '@xyflow/react';
import { BranchNode } from './branch/BranchNode';
import { StepNode } from './step/StepNode';
import { TriggerNode } from './trigger/TriggerNode';

export const nodeTypes = {
  trigger: TriggerNode,
  step: StepNode,
  branch: BranchNode,
} satisfies NodeTypes;

export { ACTIONS, ACTION_ORDER, actionMeta, triggerMeta } from './actions';
