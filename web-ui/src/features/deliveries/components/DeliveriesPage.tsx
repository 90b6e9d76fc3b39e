// Outgoing webhooks (`action: webhook`): every delivery with its status, attempts, the last
// answer's status and body excerpt and the next attempt; a failed one can be sent again.
import { RefreshCw, RotateCcw, Send } from 'lucide-react';
import { useState } from 'react';
import { href } from '../../../app/router';
import { toast } from '../../../app/toast';
import { Button, EmptyState, ErrorState, IconButton, Spinner, StatusPill } from '../../../app/ui';
import { dateTime, relativeTime, shortId } from '../../../lib/format';
import type { Delivery, DeliveryStatus } from '../../../lib/types';
import { useAuth } from '../../auth/hooks';
import { deliveriesApi } from '../api';
import { useDelivery, useDeliveries } from '../hooks';

const STATUSES: (DeliveryStatus | '')[] = ['', 'pending', 'delivered', 'failed'];

export function DeliveriesPage({ id }: { id?: string }) {
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const list = useDeliveries(status);
  const opened = useDelivery(id);
  const reload = () => {
    list.reload();
    opened.reload();
  };
  return (
    <div className="page" data-testid="deliveries-page">
      <header className="page__header">
        <div>
          <h1>Deliveries</h1>
          <p className="muted">Outgoing webhooks, newest first: each is retried until its receiver answers a 2xx, or fails after the last attempt.</p>
        </div>
      </header>
      {id && (
        <div className="card card--pad" data-testid="delivery-opened">
          {opened.error ? (
            <ErrorState title="Could not load the delivery" message={opened.error} onRetry={opened.reload} />
          ) : !opened.delivery ? (
            <Spinner label="Loading the delivery…" />
          ) : (
            <DeliveryItem delivery={opened.delivery} active onChanged={reload} />
          )}
        </div>
      )}
      <div className="card card--pad">
        <div className="exec-list__toolbar">
          <select aria-label="Filter by status" value={status} onChange={(e) => setStatus(e.target.value as DeliveryStatus | '')} data-testid="delivery-status-filter">
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s ? s : 'All statuses'}
              </option>
            ))}
          </select>
          <IconButton icon={RefreshCw} label="Refresh deliveries" onClick={reload} data-testid="deliveries-refresh" />
        </div>
        {list.error ? (
          <ErrorState title="Could not load the deliveries" message={list.error} onRetry={list.reload} />
        ) : !list.items ? (
          <Spinner label="Loading deliveries…" />
        ) : list.items.length === 0 ? (
          <EmptyState icon={Send} title={status ? `No ${status} deliveries` : 'No deliveries yet'}>
            A <code>webhook</code> step queues one each time it runs.
          </EmptyState>
        ) : (
          <ul className="delivery-list__items" data-testid="delivery-list">
            {list.items.map((d) => (
              <li key={d.id}>
                <DeliveryItem delivery={d} active={d.id === id} onChanged={reload} />
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
    </div>
  );
}

function DeliveryItem({ delivery: d, active, onChanged }: { delivery: Delivery; active?: boolean; onChanged: () => void }) {
  const readOnly = useAuth((s) => s.session?.scope) === 'read';
  const [busy, setBusy] = useState(false);
  const retry = () => {
    setBusy(true);
    deliveriesApi.retry(d.id).then(
      () => {
        setBusy(false);
        toast.success('The delivery is pending again.');
        onChanged();
      },
      (e) => {
        setBusy(false);
        toast.error('Could not retry the delivery.', e);
      },
    );
  };
  return (
    <div className={`delivery${active ? ' is-active' : ''}`} data-testid={`delivery-${d.id}`} data-status={d.status}>
      <div className="delivery__row">
        <StatusPill status={d.status} />
        <span className="delivery__url" title={d.url}>
          {d.url}
        </span>
        {d.status === 'failed' && !readOnly && (
          <Button size="sm" icon={RotateCcw} onClick={retry} busy={busy} data-testid="delivery-retry">
            Retry
          </Button>
        )}
      </div>
      <span className="muted small">
        <a href={href({ name: 'deliveries', id: d.id })}>
          <code>{d.message_id}</code>
        </a>{' '}
        · {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
        {d.last_status !== null && <> · last answer <code data-testid="delivery-last-status">{d.last_status}</code></>}
        {d.status === 'pending' && d.next_attempt_at && <> · next attempt {dateTime(d.next_attempt_at)}</>}
        {' '}· queued {relativeTime(d.created_at)} by{' '}
        <a href={href({ name: 'editor', id: d.workflow_id, executionId: d.execution_id })}>
          {d.step_id} of <code>{shortId(d.execution_id)}</code>
        </a>
      </span>
      {d.last_error && <span className="exec-item__error small">{d.last_error}</span>}
      {d.last_body && (
        <pre className="delivery__excerpt muted" data-testid="delivery-excerpt">
          {d.last_body}
        </pre>
      )}
      {d.history && d.history.length > 0 && (
        <ol className="attempts" data-testid="delivery-history">
          {d.history.map((a) => (
            <li key={a.attempt}>
              attempt {a.attempt} · {dateTime(a.started_at)} · {a.status ?? 'no answer'} · {a.outcome}
              {a.error && <pre className="step-run__error">{a.error}</pre>}
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
