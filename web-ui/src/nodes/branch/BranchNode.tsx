import { Handle, Position, useStore, type NodeProps } from '@xyflow/react';
import { portsOf } from '../../editor/ports';
import type { BranchNode as BranchNodeType } from '../../editor/types';
import { actionMeta } from '../actions';
import { NodeCard } from '../NodeCard';

/** An `if` or `switch` step: one output handle per port. */
export function BranchNode({ id, data, selected }: NodeProps<BranchNodeType>) {
  const meta = actionMeta(data.step.action);
  const ports = portsOf(data.step) ?? [];
  // Edges may name a port the config no longer has (or none at all): show those too.
  const used = useStore((s) =>
    s.edges
      .filter((e) => e.source === id)
      .map((e) => e.sourceHandle ?? '')
      .join('\n'),
  );
  const extra = [...new Set(used.split('\n').filter((p) => p && !ports.includes(p)))];
  const plain = used.split('\n').includes('');
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
      >
        <div className="wf-ports">
          {[...ports, ...extra].map((port) => (
            <div key={port} className={`wf-port${extra.includes(port) ? ' is-unknown' : ''}`} data-testid={`port-${id}-${port}`}>
              <span className={`wf-port__label is-${port}`}>{port}</span>
              <Handle
                type="source"
                id={port}
                position={Position.Right}
                className={`wf-handle wf-handle--port is-${port}`}
                aria-label={`Output ${port} of ${id}`}
              />
            </div>
          ))}
        </div>
      </NodeCard>
      {plain && (
        <>
          <Handle type="source" position={Position.Bottom} className="wf-handle" aria-label={`Output of ${id}, whichever port`} />
          <span className="wf-port__label wf-port__label--any" title="Steps joined here run after this step whichever port it takes" data-testid={`port-${id}-any`}>
            any port
          </span>
        </>
      )}
    </>
  );
}
