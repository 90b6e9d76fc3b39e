// Data from earlier steps (and the trigger): click a field to insert its `{{reference}}` into the
// field being edited.
import { ChevronDown, ChevronRight, Webhook } from 'lucide-react';
import { useState } from 'react';
import { toast } from '../../app/toast';
import { copyText } from '../../lib/format';
import { actionMeta } from '../../nodes/actions';
import { useEnvironment } from '../../features/environment/hooks';
import { outputSchemas, useActions } from '../../features/actions/hooks';
import { completionsFor, reference } from '../completion';
import { startReferenceDrag } from '../dragRef';
import { useDocument } from '../hooks';
import { JsonView } from '../JsonView';
import { upstreamSteps } from '../model';
import { useEditor } from '../store';
import { insertIntoActiveField } from '../form/TemplateInput';

export function DataPicker({ stepId }: { stepId: string }) {
  const doc = useDocument();
  const lastRun = useEditor((s) => s.lastRun);
  const steps = doc.steps ?? [];
  const upstream = upstreamSteps(steps, stepId);
  const [open, setOpen] = useState<Record<string, boolean>>({});

  async function pick(path: string) {
    const ref = reference(path);
    if (insertIntoActiveField(stepId, ref)) return;
    if (await copyText(ref)) toast.info(`Copied ${ref}. Click into a field first to insert it there.`);
  }

  const actions = useActions((s) => s.actions);
  const known = completionsFor({ doc, stepId, lastRun: null, env: useEnvironment.getState().variables, outputSchemas: outputSchemas(actions) });
  const shapePaths = (prefix: string) =>
    known.filter((c) => c.label.startsWith(`${prefix}.`) && c.label.split('.').length <= prefix.split('.').length + 2).map((c) => c.label);

  const sources = [
    { key: 'trigger', title: 'Trigger', subtitle: 'the request that started the run', icon: Webhook, tint: '#4f46e5', data: lastRun?.request ? { body: lastRun.request.body, headers: lastRun.request.headers, query: lastRun.request.query } : undefined, path: 'trigger', has: !!lastRun?.request },
    ...upstream.map((id) => {
      const step = steps.find((s) => s.id === id)!;
      const meta = actionMeta(step.action);
      const has = !!lastRun?.outputs && id in lastRun.outputs;
      return { key: id, title: step.name || id, subtitle: meta.title, icon: meta.icon, tint: meta.tint, data: has ? lastRun!.outputs![id] : undefined, path: `steps.${id}`, has };
    }),
  ];

  return (
    <div className="picker" data-testid="data-picker">
      <p className="muted small">
        Click a field to insert its reference where the cursor is{lastRun ? '' : '. Run the workflow (or listen for a test event) to see real data'}.
      </p>
      {sources.map((src) => {
        const isOpen = open[src.key] ?? src.key !== 'trigger';
        return (
          <div className="picker__source" key={src.key} data-testid={`picker-${src.key}`}>
            <button type="button" className="picker__head" aria-expanded={isOpen} onClick={() => setOpen({ ...open, [src.key]: !isOpen })}>
              {isOpen ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}
              <span className="picker__icon" style={{ background: src.tint }} aria-hidden>
                <src.icon size={12} />
              </span>
              <span className="picker__title">{src.title}</span>
              <span className="muted small">{src.has ? 'last run' : src.subtitle}</span>
            </button>
            {isOpen &&
              (src.has ? (
                <JsonView value={src.data} path={src.path} onPick={(p) => void pick(p)} open={2} />
              ) : (
                <div className="picker__paths">
                  {shapePaths(src.path).map((p) => (
                    <button type="button" key={p} className="chip" data-testid={`pick-${p}`} draggable onDragStart={(e) => startReferenceDrag(e, p)} onClick={() => void pick(p)}>
                      {p.slice(src.path.length + 1)}
                    </button>
                  ))}
                </div>
              ))}
          </div>
        );
      })}
      {upstream.length === 0 && <p className="muted small">No step runs before this one: only the trigger’s data is available.</p>}
    </div>
  );
}
