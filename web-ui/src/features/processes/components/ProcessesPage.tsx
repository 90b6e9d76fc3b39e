// The processes sharing the database (`weft serve`, `weft serve --no-workers`, `weft worker`):
// which are alive, which stopped, which died (no heartbeat and no stop), and what each runs.
import { RefreshCw, Server } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { EmptyState, ErrorState, IconButton, Spinner, StatusPill } from '../../../app/ui';
import { dateTime, relativeTime } from '../../../lib/format';
import { describeError, isAbort } from '../../../lib/http';
import type { Process } from '../../../lib/types';
import { kindLabel, processesApi } from '../api';

/** How often the page looks again while it is open. */
const REFRESH_MS = 5000;

export function ProcessesPage() {
  const [state, setState] = useState<{ items: Process[] | null; error: string | null }>({ items: null, error: null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEffect(() => {
    const ac = new AbortController();
    processesApi.list(ac.signal).then(
      (list) => setState({ items: list.items, error: null }),
      (e) => !isAbort(e) && setState((s) => ({ items: s.items, error: describeError(e) })),
    );
    const timer = window.setTimeout(reload, REFRESH_MS);
    return () => {
      ac.abort();
      window.clearTimeout(timer);
    };
  }, [tick, reload]);
  const { items, error } = state;
  return (
    <div className="page" data-testid="processes-page">
      <header className="page__header">
        <div>
          <h1>Processes</h1>
          <p className="muted">Every Weft process on this database: servers take webhooks and the API, workers run executions. A process that stopped sending heartbeats without shutting down is dead; another takes its executions over.</p>
        </div>
        <IconButton icon={RefreshCw} label="Refresh processes" onClick={reload} data-testid="processes-refresh" />
      </header>
      <div className="card card--pad">
        {error && !items ? (
          <ErrorState title="Could not load the processes" message={error} onRetry={reload} />
        ) : !items ? (
          <Spinner label="Loading processes…" />
        ) : items.length === 0 ? (
          <EmptyState icon={Server} title="No processes">
            Each <code>weft serve</code> and <code>weft worker</code> shows here once it starts.
          </EmptyState>
        ) : (
          <div className="process-table">
            <table className="table" data-testid="process-table">
              <thead>
                <tr>
                  <th>State</th>
                  <th>Runs</th>
                  <th>Host · pid</th>
                  <th>Running</th>
                  <th>Heartbeat</th>
                  <th>Started</th>
                  <th title="Writes rejected because the process had lost an execution's lease">Fenced</th>
                </tr>
              </thead>
              <tbody>
                {items.map((p) => (
                  <tr key={p.id} data-testid="process-row" data-kind={p.kind} data-state={p.state}>
                    <td>
                      <StatusPill status={p.state} />
                    </td>
                    <td title={p.id}>
                      {kindLabel(p.kind)} <span className="muted">v{p.version}</span>
                    </td>
                    <td>
                      {p.host} · {p.pid}
                    </td>
                    <td data-testid="process-running">
                      {p.running} / {p.concurrency}
                    </td>
                    <td title={dateTime(p.heartbeat_at)}>{p.state === 'stopped' ? `stopped ${relativeTime(p.stopped_at)}` : relativeTime(p.heartbeat_at)}</td>
                    <td title={dateTime(p.started_at)}>{relativeTime(p.started_at)}</td>
                    <td>{p.fenced_writes}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>
    </div>
  );
}
