// The side panel when no node is selected: run, executions, versions, problems and settings.
import { Field, Tabs } from '../../app/ui';
import { ExecutionList } from '../../features/executions/components/ExecutionList';
import { ProblemList } from '../../features/workflows/components/ProblemList';
import { VersionsPanel } from '../../features/versions/components/VersionsPanel';
import type { Problem } from '../../lib/types';
import { useEditor } from '../store';
import { RunPanel } from './RunPanel';

export type WorkflowTab = 'run' | 'executions' | 'versions' | 'settings';

export function WorkflowPanel({ tab, onTab }: { tab: WorkflowTab; onTab: (t: WorkflowTab) => void }) {
  const record = useEditor((s) => s.record);
  const problems = useEditor((s) => s.problems);
  const mode = useEditor((s) => s.mode);
  const select = useEditor((s) => s.select);
  // Reload the list when a run started here finishes.
  const runKey = useEditor((s) => (s.run && s.mode.kind === 'draft' ? `${s.run.executionId}:${s.run.status}` : ''));
  return (
    <section className="panel" aria-label="Workflow" data-testid="workflow-panel">
      <Tabs
        label="Workflow"
        value={tab}
        onChange={onTab}
        tabs={[
          { id: 'run', label: 'Run' },
          { id: 'executions', label: 'Executions' },
          { id: 'versions', label: 'Versions' },
          { id: 'settings', label: 'Settings', badge: problems.length || undefined },
        ]}
      />
      <div className="panel__body">
        {tab === 'run' && <RunPanel />}
        {tab === 'executions' && record && <ExecutionList workflowId={record.id} activeId={mode.kind === 'execution' ? mode.executionId : undefined} refreshKey={runKey} />}
        {tab === 'versions' && record && <VersionsPanel workflowId={record.id} />}
        {tab === 'settings' && (
          <div className="stack">
            <WorkflowSettings />
            {problems.length > 0 && (
              <div>
                <h3 className="section__title">Problems</h3>
                <ProblemList problems={problems} onPick={(p: Problem) => p.step && select([p.step])} />
              </div>
            )}
          </div>
        )}
      </div>
    </section>
  );
}

type Concurrency = { limit: number; key?: string | null };

/** `concurrency:` with a change; gone once its limit is cleared. */
function concurrencyWith(current: Concurrency | null | undefined, change: { limit?: number; key?: string }): Concurrency | undefined {
  const limit = 'limit' in change ? change.limit : current?.limit;
  if (limit === undefined || Number.isNaN(limit)) return undefined;
  const key = 'key' in change ? change.key : current?.key ?? undefined;
  return key ? { limit, key } : { limit };
}

function WorkflowSettings() {
  const meta = useEditor((s) => s.meta);
  const updateMeta = useEditor((s) => s.updateMeta);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const allProblems = useEditor((s) => s.problems);
  const problems = allProblems.filter((p) => !p.step);
  const err = (field: string) => problems.find((p) => p.field === field)?.message;
  return (
    <>
      <Field label="Name" htmlFor="wf-settings-name" required error={err('name')}>
        <input id="wf-settings-name" value={meta.name} readOnly={readOnly} onChange={(e) => updateMeta((m) => ({ ...m, name: e.target.value }), 'name')} />
      </Field>
      <Field label="Description" htmlFor="wf-settings-desc">
        <textarea id="wf-settings-desc" rows={3} value={meta.description ?? ''} readOnly={readOnly} onChange={(e) => updateMeta((m) => ({ ...m, description: e.target.value || undefined }), 'description')} />
      </Field>
      <Field label="Execution timeout" htmlFor="wf-settings-timeout" hint="Upper bound of one execution, e.g. 5m; empty: the server's default" error={err('timeout')}>
        <input id="wf-settings-timeout" value={meta.timeout ?? ''} placeholder="1h" readOnly={readOnly} onChange={(e) => updateMeta((m) => ({ ...m, timeout: e.target.value || undefined }), 'timeout')} />
      </Field>
      <Field label="On error, run workflow" htmlFor="wf-settings-on-error" hint="The name of a workflow that runs when an execution of this one fails; it reads the failure as {{trigger.body.error}}" error={err('on_error.workflow')}>
        <input
          id="wf-settings-on-error"
          value={meta.on_error?.workflow ?? ''}
          placeholder="Alert on error"
          readOnly={readOnly}
          onChange={(e) => updateMeta((m) => ({ ...m, on_error: e.target.value ? { workflow: e.target.value } : undefined }), 'on_error')}
          data-testid="wf-settings-on-error"
        />
      </Field>
      <Field label="Concurrency limit" htmlFor="wf-settings-concurrency" hint="At most this many executions run at once; the others wait in the queue. Empty: no limit" error={err('concurrency.limit')}>
        <input id="wf-settings-concurrency" type="number" min={1} value={meta.concurrency?.limit ?? ''} readOnly={readOnly} onChange={(e) => updateMeta((m) => ({ ...m, concurrency: concurrencyWith(m.concurrency, { limit: e.target.value === '' ? undefined : Number(e.target.value) }) }), 'concurrency')} />
      </Field>
      <Field label="Key" htmlFor="wf-settings-concurrency-key" hint="The limit holds per value of this template, e.g. {{trigger.body.customer_id}}; reads trigger only" error={err('concurrency.key')}>
        <input id="wf-settings-concurrency-key" value={meta.concurrency?.key ?? ''} placeholder="{{trigger.body.customer_id}}" readOnly={readOnly || !meta.concurrency} onChange={(e) => updateMeta((m) => ({ ...m, concurrency: concurrencyWith(m.concurrency, { key: e.target.value || undefined }) }), 'concurrency')} />
      </Field>
    </>
  );
}
