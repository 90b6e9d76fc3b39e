// An edge with a delete button while it is selected or hovered.
import { BaseEdge, EdgeLabelRenderer, getBezierPath, type EdgeProps, type EdgeTypes } from '@xyflow/react';
import { X } from 'lucide-react';
import { useEditor } from './store';

function WeftEdge({ id, sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition, selected, markerEnd, style }: EdgeProps) {
  const [path, labelX, labelY] = getBezierPath({ sourceX, sourceY, targetX, targetY, sourcePosition, targetPosition });
  const draft = useEditor((s) => s.mode.kind === 'draft');
  const deleteEdge = useEditor((s) => s.deleteEdge);
  return (
    <>
      <BaseEdge id={id} path={path} markerEnd={markerEnd} style={style} interactionWidth={18} />
      {selected && draft && (
        <EdgeLabelRenderer>
          <button
            type="button"
            className="wf-edge-delete nodrag nopan"
            style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
            aria-label="Delete connection"
            title="Delete connection"
            data-testid={`edge-delete-${id}`}
            onClick={() => deleteEdge(id)}
          >
            <X size={12} />
          </button>
        </EdgeLabelRenderer>
      )}
    </>
  );
}

export const edgeTypes = { weft: WeftEdge } satisfies EdgeTypes;
