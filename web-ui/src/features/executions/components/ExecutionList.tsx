import { History, RefreshCw } from 'lucide-react';
import { useState } from 'react';
import { href } from '../../../app/router';
import { Button, EmptyState, ErrorState, IconButton, Spinner, StatusPill } from '../../../app/ui';
import type { ExecutionStatus } from '../../../lib/types';
import { duration, elapsedMs, relativeTime, shortId } from '../../../lib/format';
import { useExecutions } from '../hooks';
import { processLabel } from '../../processes/api';

const STATUSES: (ExecutionStatus | '')[] = ['', 'queued', 'running', 'waiting', 'succeeded', 'failed', 'cancelled'];

/**
 * Executions of one workflow (or of all), filterable by status; each opens on the canvas.
 * `workflowNames` (id → name) names each execution's workflow, for a list of all of them.
 */
export function ExecutionList({ workflowId, workflowNames, activeId, refreshKey }: { workflowId?: string; workflowNames?: ReadonlyMap<string, string>; activeId?: string; refreshKey?: string }) {
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
                  {workflowNames && <span className="exec-item__name">{workflowNames.get(x.workflow_id) ?? `Workflow ${shortId(x.workflow_id)}`}</span>}
                  <span className="muted small">
                    {relativeTime(x.created_at)} · {x.test ? 'test ' : ''}
                    {x.trigger_kind} · v{x.version} · <code>{shortId(x.id)}</code>
                    {x.retry_of && <> · retry of <code>{shortId(x.retry_of)}</code></>}
                    {x.process && (
                      <>
                        {' '}
                        · on{' '}
                        <code title={`ran on process ${x.process}`} data-testid="execution-process">
                          {processLabel(x.process)}
                        </code>
                      </>
                    )}
                  </span>
                  {x.error && (
                    <span className="exec-item__error small">
                      {x.error.step_id ? `${x.error.step_id}: ` : ''}
                      {x.error.message}
                    </span>
                  )}
                </span>
                <span className="muted small exec-item__dur">{duration(elapsedMs(x.started_at, x.finished_at))}</span>
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
