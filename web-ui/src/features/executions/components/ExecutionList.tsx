import { History, RefreshCw } from 'lucide-react';
import { useState } from 'react';
import { href } from '../../../app/router';
import { Button, EmptyState, ErrorState, IconButton, Spinner, StatusPill } from '../../../app/ui';
import type { ExecutionStatus } from '../../../generated/api';
import { duration, relativeTime, shortId } from '../../../lib/format';
import { useExecutions } from '../hooks';

const STATUSES: (ExecutionStatus | '')[] = ['', 'queued', 'running', 'succeeded', 'failed', 'cancelled'];

/** Executions of one workflow (or of all), filterable by status; each opens on the canvas. */
export function ExecutionList({ workflowId, showWorkflow, activeId, refreshKey }: { workflowId?: string; showWorkflow?: boolean; activeId?: string; refreshKey?: string }) {
  const [status, setStatus] = useState<ExecutionStatus | ''>('');
  const list = useExecutions(workflowId, status, refreshKey);
  return (
    <div className="exec-list" data-testid="execution-list">
      <div className="exec-list__toolbar">
        <select aria-label="Filter by status" value={status} onChange={(e) => setStatus(e.target.value as ExecutionStatus | '')} data-testid="execution-status-filter">
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s ? s : 'All statuses'}
            </option>
          ))}
        </select>
        <IconButton icon={RefreshCw} label="Refresh executions" onClick={list.reload} data-testid="executions-refresh" />
      </div>
      {list.error ? (
        <ErrorState title="Could not load the executions" message={list.error} onRetry={list.reload} />
      ) : !list.items ? (
        <Spinner label="Loading executions…" />
      ) : list.items.length === 0 ? (
        <EmptyState icon={History} title={status ? `No ${status} executions` : 'No executions yet'}>
          {workflowId ? 'Run the workflow or call its webhook: each run is listed here.' : 'Runs of every workflow are listed here.'}
        </EmptyState>
      ) : (
        <ul className="exec-list__items">
          {list.items.map((x) => (
            <li key={x.id}>
              <a
                className={`exec-item${x.id === activeId ? ' is-active' : ''}`}
                href={href({ name: 'editor', id: x.workflow_id, executionId: x.id })}
                data-testid={`execution-${x.id}`}
                data-status={x.status}
              >
                <StatusPill status={x.status} />
                <span className="exec-item__main">
                  {showWorkflow && <span className="exec-item__name">{x.workflow_name}</span>}
                  <span className="muted small">
                    {relativeTime(x.created_at)} · {x.trigger_kind} · v{x.version} · <code>{shortId(x.id)}</code>
                  </span>
                  {x.error && (
                    <span className="exec-item__error small">
                      {x.error.step_id ? `${x.error.step_id}: ` : ''}
                      {x.error.message}
                    </span>
                  )}
                </span>
                <span className="muted small exec-item__dur">{duration(x.duration_ms)}</span>
              </a>
            </li>
          ))}
        </ul>
      )}
      {list.more && (
        <Button size="sm" onClick={list.loadMore} busy={list.loading}>
          Load more
        </Button>
      )}
    </div>
  );
}
