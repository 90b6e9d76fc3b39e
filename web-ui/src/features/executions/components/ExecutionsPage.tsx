import { useMemo } from 'react';
import { useWorkflowList } from '../../workflows/hooks';
import { ExecutionList } from './ExecutionList';

export function ExecutionsPage() {
  // Executions carry their workflow's id; the names come from the workflow list.
  const workflows = useWorkflowList();
  const names = useMemo(() => new Map((workflows.data?.items ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  return (
    <div className="page" data-testid="executions-page">
      <header className="page__header">
        <div>
          <h1>Executions</h1>
          <p className="muted">Every run of every workflow, newest first. Open one to see it on the canvas of the version it ran.</p>
        </div>
      </header>
      <div className="card card--pad">
        <ExecutionList workflowNames={names} />
      </div>
    </div>
  );
}
