import { Handle, Position, type NodeProps } from '@xyflow/react';
import type { TriggerNode as TriggerNodeType } from '../../editor/types';
import { triggerMeta } from '../actions';
import { NodeCard } from '../NodeCard';

export function TriggerNode({ id, data, selected }: NodeProps<TriggerNodeType>) {
  const meta = triggerMeta(data.trigger.type);
  return (
    <>
      <NodeCard
        id={id}
        icon={meta.icon}
        tint="#4f46e5"
        title={meta.title}
        subtitle={meta.summary(data.trigger)}
        kind="trigger"
        selected={selected}
        variant="trigger"
      />
      <Handle type="source" position={Position.Right} className="wf-handle" aria-label="Trigger output" />
    </>
  );
}
