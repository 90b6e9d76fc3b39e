import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { ActionNode } from '../../editor/types';
import { actionMeta } from '../actions';
import { NodeCard } from '../NodeCard';

/** A step with one output. */
export function StepNode({ id, data, selected }: NodeProps<ActionNode>) {
  const meta = actionMeta(data.step.action);
  return (
    <>
      <Handle type="target" position={Position.Left} className="wf-handle" aria-label={`Input of ${id}`} />
      <NodeCard
        id={id}
        icon={meta.icon}
        tint={meta.tint}
        title={data.step.name || id}
        subtitle={meta.summary?.(data.step) ?? meta.title}
        kind={meta.title}
        selected={selected}
        checkInputs
      />
      <Handle type="source" position={Position.Right} className="wf-handle" aria-label={`Output of ${id}`} />
    </>
  );
}
