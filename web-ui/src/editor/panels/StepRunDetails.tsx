// A step's last run: status, attempts, timings, and its rendered input, output and error.
import { StatusPill } from '../../app/ui';
import { dateTime, duration } from '../../lib/format';
import { JsonView } from '../JsonView';
import { useEditor } from '../store';

export function StepRunDetails({ stepId }: { stepId: string }) {
  const live = useEditor((s) => s.run?.steps[stepId]);
  const execution = useEditor((s) => s.run?.execution);
  if (!live) return <p className="muted">This step has not run in the execution shown.</p>;
  const r = live.result;
  const attempts = (execution?.attempts ?? []).filter((a) => a.step_id === stepId);
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
      {r?.error !== undefined && r?.error !== null && <JsonView title="Error" value={r.error} testId="step-run-error" open={3} />}
      <JsonView title="Output" value={r?.output} testId="step-run-output" open={3} />
      <JsonView title="Input (rendered config)" value={r?.input} testId="step-run-input" open={1} />
      {attempts.length > 1 && (
        <div>
          <h3 className="section__title">Attempts</h3>
          <ol className="attempts">
            {attempts.map((a) => (
              <li key={a.attempt}>
                <StatusPill status={a.status as 'failed'} /> attempt {a.attempt} · {dateTime(a.started_at)}
                {a.error !== undefined && a.error !== null && <JsonView value={a.error} open={1} />}
              </li>
            ))}
          </ol>
        </div>
      )}
    </div>
  );
}
