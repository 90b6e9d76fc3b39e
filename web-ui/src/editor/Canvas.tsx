// The canvas: xyflow with the editor store's nodes and edges.
import {
  Background,
  BackgroundVariant,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type DefaultEdgeOptions,
  type IsValidConnection,
} from '@xyflow/react';
import { useCallback, useEffect, useRef, type DragEvent } from 'react';
import { actionMeta } from '../nodes/actions';
import { nodeTypes } from '../nodes/registry';
import { toast } from '../app/toast';
import { useEditor } from './store';
import type { WeftEdge, WeftNode } from './types';
import { edgeTypes } from './WeftEdge';

export const DRAG_TYPE = 'application/x-weft-action';

const defaultEdgeOptions: DefaultEdgeOptions = {
  type: 'weft',
  markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16, color: '#a1a1aa' },
};

function miniMapColor(node: WeftNode): string {
  if (node.type === 'trigger') return '#4f46e5';
  return actionMeta(node.data.step.action).tint;
}

/** Fit view never shrinks the nodes below readable text (about 10 px at 0.75): a larger
 * workflow is panned (the mini map shows where) rather than drawn too small to read. */
const FIT = { padding: 0.12, maxZoom: 1, minZoom: 0.8 } as const;

export function Canvas() {
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  const onNodesChange = useEditor((s) => s.onNodesChange);
  const onEdgesChange = useEditor((s) => s.onEdgesChange);
  const connect = useEditor((s) => s.connect);
  const reconnect = useEditor((s) => s.reconnect);
  const canConnect = useEditor((s) => s.canConnect);
  const commit = useEditor((s) => s.commit);
  const addStep = useEditor((s) => s.addStep);
  const fitRequest = useEditor((s) => s.fitRequest);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const { fitView, screenToFlowPosition, getNodes, getNodesBounds, getViewport, setViewport } = useReactFlow();
  const box = useRef<HTMLDivElement>(null);

  // Fit; when the workflow is wider than the canvas at the smallest readable zoom, start at
  // its beginning (the trigger) rather than its middle.
  const fit = useCallback(
    async (duration?: number) => {
      await fitView({ ...FIT, duration });
      const width = box.current?.clientWidth ?? 0;
      const bounds = getNodesBounds(getNodes());
      const { zoom, y } = getViewport();
      if (width && bounds.width * zoom > width * (1 - 2 * FIT.padding)) {
        await setViewport({ x: width * FIT.padding - bounds.x * zoom, y, zoom }, { duration });
      }
    },
    [fitView, getNodes, getNodesBounds, getViewport, setViewport],
  );

  const initialized = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (!initialized || fitted.current) return;
    fitted.current = true;
    void fit();
  }, [initialized, fit]);

  useEffect(() => {
    if (!fitRequest) return;
    const id = window.requestAnimationFrame(() => void fit(200));
    return () => window.cancelAnimationFrame(id);
  }, [fitRequest, fit]);

  const isValidConnection: IsValidConnection<WeftEdge> = useCallback((c) => canConnect(c as Connection) === null, [canConnect]);

  const onConnect = useCallback(
    (c: Connection) => {
      const why = canConnect(c);
      if (why) toast.info(why);
      else connect(c);
    },
    [canConnect, connect],
  );

  const onDrop = useCallback(
    (e: DragEvent) => {
      const kind = e.dataTransfer.getData(DRAG_TYPE);
      if (!kind || readOnly) return;
      e.preventDefault();
      const p = screenToFlowPosition({ x: e.clientX, y: e.clientY });
      addStep(kind, actionMeta(kind).defaults, { x: Math.round(p.x - 120), y: Math.round(p.y - 32) });
    },
    [addStep, readOnly, screenToFlowPosition],
  );

  return (
    <div ref={box} className="canvas" data-testid="canvas" onDragOver={(e) => e.dataTransfer.types.includes(DRAG_TYPE) && e.preventDefault()} onDrop={onDrop}>
      <ReactFlow<WeftNode, WeftEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        edgeTypes={edgeTypes}
        defaultEdgeOptions={defaultEdgeOptions}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onReconnect={reconnect}
        onNodeDragStart={() => commit()}
        isValidConnection={isValidConnection}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        edgesReconnectable={!readOnly}
        deleteKeyCode={null}
        multiSelectionKeyCode={['Meta', 'Control', 'Shift']}
        selectionKeyCode="Shift"
        minZoom={0.2}
        maxZoom={2}
        snapToGrid
        snapGrid={[10, 10]}
        attributionPosition="top-right"
        fitViewOptions={FIT}
      >
        <Background variant={BackgroundVariant.Dots} gap={20} size={1.2} color="#d4d4d8" />
        <MiniMap pannable zoomable style={{ width: 168, height: 108 }} nodeColor={miniMapColor} nodeStrokeWidth={0} maskColor="rgba(244,244,245,0.7)" ariaLabel="Mini map" />
        <Controls showInteractive={false} aria-label="Zoom controls" />
      </ReactFlow>
    </div>
  );
}
