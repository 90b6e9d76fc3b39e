// "Run now" with a JSON input; the run's steps light up on the canvas as they go.
import { Pin, Play } from 'lucide-react';
import { useState } from 'react';
import { href } from '../../app/router';
import { toast } from '../../app/toast';
import { Button, Field, StatusPill } from '../../app/ui';
import { shortId } from '../../lib/format';
import { actionMeta } from '../../nodes/actions';
import { runNow, saveDraft, useDirty } from '../hooks';
import { useEditor } from '../store';
import { usePins } from '../pins';
import { isStepNode } from '../types';
import { WaitNote } from './WaitNote';

export function RunPanel() {
  const record = useEditor((s) => s.record);
  const run = useEditor((s) => s.run);
  const nodes = useEditor((s) => s.nodes);
  const lastBody = useEditor((s) => s.lastRun?.request?.body);
  const pinnedBody = usePins((s) => s.trigger?.body);
  const pinnedSteps = usePins((s) => Object.keys(s.steps).length);
  const select = useEditor((s) => s.select);
  const dirty = useDirty();
  const [input, setInput] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const sample = pinnedBody !== undefined ? pinnedBody : lastBody;
  const text = input ?? (sample !== undefined ? JSON.stringify(sample, null, 2) : '{\n  \n}');
  let parseError: string | null = null;
  try {
    if (text.trim()) JSON.parse(text);
  } catch (e) {
    parseError = (e as Error).message;
  }

  async function start() {
    if (parseError) return;
    setBusy(true);
    try {
      if (dirty && !(await saveDraft())) return;
      const id = await runNow(text.trim() ? JSON.parse(text) : null);
      if (id) toast.info(`Execution ${shortId(id)} started.`);
    } finally {
      setBusy(false);
    }
  }

  const steps = nodes.filter(isStepNode);
  return (
    <div className="stack" data-testid="run-panel">
      <Field label="Trigger body (JSON)" htmlFor="run-input" hint="Sent as the trigger’s body, read as {{trigger.body…}}" error={parseError ? `Not valid JSON: ${parseError}` : undefined}>
        <textarea id="run-input" className="code-area" rows={7} spellCheck={false} value={text} onChange={(e) => setInput(e.target.value)} data-testid="run-input" />
      </Field>
      {(pinnedSteps > 0 || pinnedBody !== undefined) && (
        <p className="muted small" data-testid="run-uses-pins">
          <Pin size={12} aria-hidden /> A test run: {pinnedSteps > 0 ? `${pinnedSteps} pinned step${pinnedSteps > 1 ? 's' : ''} stand${pinnedSteps > 1 ? '' : 's'} in for ${pinnedSteps > 1 ? 'their' : 'its'} calls` : 'from the pinned test event'}.
        </p>
      )}
      <Button variant="primary" icon={Play} onClick={() => void start()} busy={busy} disabled={!!parseError || !record} data-testid="run-now">
        {dirty ? 'Save and run' : 'Run now'}
      </Button>
      {run && (
        <div className="run-status" data-testid="run-status" data-status={run.status}>
          <div className="row gap-sm">
            <StatusPill status={run.status} />
            <span className="muted small">
              Execution <code>{shortId(run.executionId)}</code>
            </span>
            {record && (
              <a className="small" href={href({ name: 'editor', id: record.id, executionId: run.executionId })}>
                Open
              </a>
            )}
          </div>
          {run.execution?.request.parent && (
            <p className="small" data-testid="run-parent">
              Called by step <code>{run.execution.request.parent.step_id}</code> of{' '}
              <a href={href({ name: 'execution', id: run.execution.request.parent.execution_id })}>
                {run.execution.request.parent.workflow} ({shortId(run.execution.request.parent.execution_id)})
              </a>
            </p>
          )}
          <ul className="run-steps">
            {steps.map((n) => {
              const live = run.steps[n.id];
              const meta = actionMeta(n.data.step.action);
              return (
                <li key={n.id}>
                  <button type="button" className="run-step" onClick={() => select([n.id])}>
                    <meta.icon size={14} aria-hidden />
                    <span className="run-step__id">{n.data.step.name || n.id}</span>
                    {live ? <StatusPill status={live.status} /> : <span className="muted small">{run.status === 'running' || run.status === 'queued' ? 'waiting' : 'did not run'}</span>}
                  </button>
                </li>
              );
            })}
          </ul>
          {steps.map((n) => <WaitNote key={n.id} stepId={n.id} output={run.steps[n.id]?.status === 'waiting' ? run.steps[n.id]?.result?.output : undefined} />)}
          {run.execution?.error && (
            <p className="field__error">
              {run.execution.error.step_id ? `${run.execution.error.step_id}: ` : ''}
              {run.execution.error.message}
            </p>
          )}
        </div>
      )}
    </div>
  );
}
