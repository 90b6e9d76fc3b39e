import { ExecutionList } from './ExecutionList';

export function ExecutionsPage() {
  return (
    <div className="page" data-testid="executions-page">
      <header className="page__header">
        <div>
          <h1>Executions</h1>
          <p className="muted">Every run of every workflow, newest first. Open one to see it on the canvas of the version it ran.</p>
        </div>
      </header>
      <div className="card card--pad">
        <ExecutionList showWorkflow />
      </div>
    </div>
  );
}
