// A step's last run: status, attempts, timings, and its rendered input, output and error (with
// the answer a failed HTTP call got: status, headers, body).
import { href } from '../../app/router';
import { deliveryId } from '../../features/deliveries/api';
import { Pin, PinOff } from 'lucide-react';
import { Button, StatusPill } from '../../app/ui';
import { usePins } from '../pins';
import { dateTime, duration } from '../../lib/format';
import { JsonView } from '../JsonView';
import { useEditor } from '../store';
import { WaitNote } from './WaitNote';

export function StepRunDetails({ stepId }: { stepId: string }) {
  const live = useEditor((s) => s.run?.steps[stepId]);
  const execution = useEditor((s) => s.run?.execution);
  if (!live) return <p className="muted">This step has not run in the execution shown.</p>;
  const r = live.result;
  // The journal's rows of this step: one per attempt (per item for `for_each`), and the final one.
  const attempts = (execution?.attempts ?? []).filter((a) => a.step_id === stepId);
  const perItem = attempts.some((a) => a.item_index !== null);
  // A `workflow` step's child execution, one click away.
  const out = r?.output as { execution_id?: unknown } | null | undefined;
  const child = r?.action === 'workflow' && typeof out?.execution_id === 'string' ? out.execution_id : null;
  return (
    <div className="stack" data-testid="step-run">
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusPill status={live.status} />
          </dd>
        </div>
        <div>
          <dt>Attempts</dt>
          <dd data-testid="step-run-attempts">{r?.attempts ?? live.attempt ?? '—'}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{r?.duration_us !== undefined && r?.duration_us !== null ? duration(r.duration_us / 1000) : '—'}</dd>
        </div>
        {r?.port && (
          <div>
            <dt>Port</dt>
            <dd>
              <code>{r.port}</code>
            </dd>
          </div>
        )}
        <div>
          <dt>Started</dt>
          <dd>{dateTime(r?.started_at)}</dd>
        </div>
        <div>
          <dt>Finished</dt>
          <dd>{dateTime(r?.finished_at)}</dd>
        </div>
      </dl>
      {live.status === 'waiting' && <WaitNote stepId={stepId} output={r?.output} />}
      {child && (
        <p className="small">
          Child execution{' '}
          <a href={href({ name: 'execution', id: child })} data-testid="step-run-child">
            <code>{child}</code>
          </a>
        </p>
      )}
      {r?.error !== undefined && r?.error !== null && (
        <div>
          <h3 className="section__title">Error</h3>
          <pre className="step-run__error" data-testid="step-run-error">
            {r.error}
          </pre>
        </div>
      )}
      <FailedAnswer details={r?.error_details} />
      {deliveryId(r?.output) && (
        <p>
          <a href={href({ name: 'deliveries', id: deliveryId(r?.output)! })} data-testid="step-run-delivery">
            Open the delivery
          </a>{' '}
          <span className="muted small">(its attempts, answers and retries)</span>
        </p>
      )}
      {/* A branching step's pin would take no port (its successors would be skipped): not offered. */}
      {live.status === 'succeeded' && r?.output !== undefined && !r?.port && <PinOutput stepId={stepId} output={r.output} />}
      <JsonView title="Output" value={r?.output} testId="step-run-output" open={3} />
      <JsonView title="Input (rendered config)" value={r?.input} testId="step-run-input" open={1} />
      {attempts.length > 1 && (
        <div>
          <h3 className="section__title">Attempts</h3>
          <ol className="attempts">
            {attempts.map((a) => (
              <li key={a.id} data-testid="step-run-attempt">
                <StatusPill status={a.status} /> {a.item_index !== null ? `item ${a.item_index} · ` : perItem && a.is_final ? 'all items · ' : ''}
                attempt {a.attempt} · {dateTime(a.started_at)}
                {a.duration_us !== null ? ` · ${duration(a.duration_us / 1000)}` : ''}
                {a.error !== null && <pre className="step-run__error">{a.error}</pre>}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}


/** Pins the output shown (test runs then use it instead of running the step), or unpins it. */
function PinOutput({ stepId, output }: { stepId: string; output: unknown }) {
  const pinned = usePins((s) => s.steps[stepId]);
  const pinStep = usePins((s) => s.pinStep);
  const unpinStep = usePins((s) => s.unpinStep);
  const same = pinned !== undefined && JSON.stringify(pinned) === JSON.stringify(output);
  return (
    <div className="row gap-sm">
      {same ? (
        <Button size="sm" icon={PinOff} onClick={() => void unpinStep(stepId)} data-testid="unpin-output">
          Unpin
        </Button>
      ) : (
        <Button size="sm" icon={Pin} onClick={() => void pinStep(stepId, output)} data-testid="pin-output">
          {pinned !== undefined ? 'Pin this output instead' : 'Pin this output'}
        </Button>
      )}
      <span className="muted small">{pinned !== undefined ? 'Pinned: test runs use it instead of running the step.' : 'Test runs would use it instead of running the step.'}</span>
    </div>
  );
}

/** What an `http` step recorded with its failure: `{status, headers, body}`; other details as JSON. */
function FailedAnswer({ details }: { details: unknown }) {
  if (details === undefined || details === null) return null;
  const d = details as { status?: unknown; headers?: unknown; body?: unknown };
  if (typeof d !== 'object' || typeof d.status !== 'number') {
    return <JsonView title="Error details" value={details} testId="step-run-error-details" open={2} />;
  }
  return (
    <div className="stack" data-testid="step-run-response">
      <h3 className="section__title">
        Response <span className="muted small">(recorded with the failure; secrets masked)</span>
      </h3>
      <dl className="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <code data-testid="step-run-response-status">{d.status}</code>
          </dd>
        </div>
      </dl>
      <JsonView title="Response headers" value={d.headers} testId="step-run-response-headers" open={1} />
      <JsonView title="Response body" value={d.body ?? undefined} testId="step-run-response-body" open={3} />
    </div>
  );
}
