// The trigger: type, webhook URLs (production and test) with copy, methods, auth, respond mode,
// rate limit, "Listen for a test event"; for schedules the cron with its next runs. Viewing an
// execution: the request it received and the answer its caller got.
import { Ear, Pin, X } from 'lucide-react';
import { useEffect, useRef, useState } from 'react';
import { toast } from '../../app/toast';
import { Button, CopyButton, Field, IconButton } from '../../app/ui';
import { workflowsApi } from '../../features/workflows/api';
import type { AuthKind, CapturedRequest, Execution, HmacPreset, Trigger, WebhookAuth, WebhookTrigger, Workflow } from '../../lib/types';
import { ApiError, describeError, isAbort } from '../../lib/http';
import { absoluteUrl, slug } from '../../lib/format';
import { triggerMeta } from '../../nodes/actions';
import { followExecution, useDirty } from '../hooks';
import { JsonView } from '../JsonView';
import { useEditor } from '../store';
import { usePins } from '../pins';
import { CredentialPicker } from '../../features/credentials/components/CredentialPicker';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const LISTEN_SECONDS = 60;

function errorsOf(field: string, problems: { field?: string | null; step?: string | null; message: string }[]): string | undefined {
  return problems.find((p) => !p.step && p.field && (p.field === field || p.field.startsWith(`${field}.`)))?.message;
}

/**
 * Where the server takes webhooks: taken from the saved workflow's URL (the server knows the
 * address it is reached at, e.g. its public URL behind a proxy), else this page's origin.
 */
function hookBase(record: Workflow | null): string {
  const suffix = `/hooks/${record?.trigger.path ?? ''}`;
  const url = record?.webhook_url;
  if (record?.trigger.path && url?.endsWith(suffix)) return absoluteUrl(url).slice(0, -suffix.length);
  return window.location.origin;
}

export function TriggerPanel() {
  const trigger = useEditor((s) => s.meta.trigger);
  const name = useEditor((s) => s.meta.name);
  const updateMeta = useEditor((s) => s.updateMeta);
  const select = useEditor((s) => s.select);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const problems = useEditor((s) => s.problems);
  const execution = useEditor((s) => (s.mode.kind === 'execution' ? s.run?.execution : undefined));
  const meta = triggerMeta(trigger.type);

  const setTrigger = (t: Trigger, key?: string) => updateMeta((m) => ({ ...m, trigger: t }), key ? `trigger.${key}` : undefined);

  function changeType(type: Trigger['type']) {
    if (type === trigger.type) return;
    if (type === 'webhook') setTrigger({ type, path: slug(name || 'my-hook') });
    else if (type === 'schedule') setTrigger({ type, cron: '0 * * * *' });
    else setTrigger({ type });
  }

  return (
    <section className="panel" aria-label="Trigger" data-testid="trigger-panel">
      <header className="panel__header">
        <span className="panel__icon" style={{ background: '#4f46e5' }} aria-hidden>
          <meta.icon size={16} />
        </span>
        <div className="panel__heading">
          <h2>Trigger</h2>
          <span className="muted small">What starts an execution</span>
        </div>
        <IconButton icon={X} label="Close panel" onClick={() => select([])} />
      </header>
      <div className="panel__body stack">
        {execution && <ExecutionRequest execution={execution} respond={trigger.type === 'webhook' ? (trigger.respond ?? 'async') : null} />}
        <Field label="Type" htmlFor="trigger-type">
          <select id="trigger-type" value={trigger.type} disabled={readOnly} data-testid="trigger-type" onChange={(e) => changeType(e.target.value as Trigger['type'])}>
            <option value="webhook">Webhook</option>
            <option value="schedule">Schedule</option>
            <option value="manual">Manual</option>
          </select>
        </Field>
        {trigger.type === 'webhook' && <WebhookFields trigger={trigger} readOnly={readOnly} setTrigger={setTrigger} problems={problems} />}
        {trigger.type === 'schedule' && (
          <>
            <Field label="Cron" htmlFor="trigger-cron" hint="minute hour day month weekday, e.g. 0 9 * * mon-fri" error={errorsOf('trigger.cron', problems)}>
              <input id="trigger-cron" value={trigger.cron} readOnly={readOnly} data-testid="trigger-cron" onChange={(e) => setTrigger({ ...trigger, cron: e.target.value }, 'cron')} />
            </Field>
            <Field label="Time zone" htmlFor="trigger-tz" hint="IANA name, e.g. Europe/Paris; default UTC" error={errorsOf('trigger.timezone', problems)}>
              <input id="trigger-tz" value={trigger.timezone ?? ''} placeholder="UTC" readOnly={readOnly} onChange={(e) => setTrigger({ ...trigger, timezone: e.target.value || undefined }, 'tz')} />
            </Field>
            <Field label="Missed runs" htmlFor="trigger-catch-up" hint="what happens to runs missed while Weft was down">
              <select id="trigger-catch-up" value={trigger.catch_up ?? 'skip'} disabled={readOnly} onChange={(e) => setTrigger({ ...trigger, catch_up: e.target.value === 'skip' ? undefined : (e.target.value as 'run_once') }, 'catch_up')}>
                <option value="skip">Skip them</option>
                <option value="run_once">Run once for all of them</option>
              </select>
            </Field>
            <CronPreview cron={trigger.cron} timezone={trigger.timezone} />
          </>
        )}
        {trigger.type === 'manual' && <p className="muted">Started with “Run now” here, through <code>POST /api/v1/workflows/…/run</code>, or by <code>weft run</code>.</p>}
        {!readOnly && <TestEventPin />}
      </div>
    </section>
  );
}

/** Pins a test event (typed JSON, or the last one received): test runs start from it, and
 * previews and completion read it before any run. Production runs never use it. */
function TestEventPin() {
  const pinned = usePins((s) => s.trigger);
  const pinTrigger = usePins((s) => s.pinTrigger);
  const last = useEditor((s) => s.lastRun?.request);
  const [text, setText] = useState<string | null>(null);
  const shown = text ?? JSON.stringify(last?.body ?? {}, null, 2);
  let error: string | null = null;
  try {
    JSON.parse(shown);
  } catch (e) {
    error = (e as Error).message;
  }
  if (pinned) {
    return (
      <div className="section pinned" data-testid="pinned-trigger">
        <h3 className="section__title">
          <Pin size={13} aria-hidden /> Pinned test event <span className="muted small">test runs start from it; production runs never do</span>
        </h3>
        <JsonView title="Body" value={pinned.body} open={2} />
        <Button size="sm" onClick={() => void pinTrigger(null)} data-testid="unpin-trigger">
          Unpin
        </Button>
      </div>
    );
  }
  return (
    <div className="section">
      <Field label="Test event body (JSON)" htmlFor="pin-trigger-body" hint="Pin it to test without calling the webhook: previews and test runs read it as trigger.body" error={error ? `Not valid JSON: ${error}` : undefined}>
        <textarea id="pin-trigger-body" className="code-area code-area--sm" rows={4} spellCheck={false} value={shown} onChange={(e) => setText(e.target.value)} data-testid="pin-trigger-body" />
      </Field>
      <Button
        size="sm"
        icon={Pin}
        disabled={!!error}
        data-testid="pin-trigger"
        onClick={() => void pinTrigger({ body: JSON.parse(shown), headers: text === null ? (last?.headers ?? {}) : {}, query: text === null ? (last?.query ?? {}) : {} })}
      >
        Pin test event
      </Button>
    </div>
  );
}

/** The request an execution received (method, path, headers, body) and the answer its caller got. */
function ExecutionRequest({ execution, respond }: { execution: Execution; respond: 'sync' | 'async' | null }) {
  const request = execution.request;
  // A `respond` step answered the caller (before a failure, too); else the execution's answer
  // (a failed one's `on_failure` answer).
  const early = execution.steps.find((s) => s.response);
  const answer = early?.response ?? execution.response;
  return (
    <div className="stack" data-testid="trigger-request">
      <h3 className="section__title">Request received</h3>
      <p>
        <code data-testid="trigger-request-line">
          {request.method} {request.path}
        </code>
        {Object.keys(request.query ?? {}).length > 0 && <span className="muted small"> with a query</span>}
      </p>
      <JsonView title="Headers (secret ones redacted)" value={request.headers} testId="trigger-request-headers" open={1} />
      {Object.keys(request.query ?? {}).length > 0 && <JsonView title="Query" value={request.query} testId="trigger-request-query" open={1} />}
      <JsonView title="Body" value={request.body ?? undefined} testId="trigger-request-body" open={3} />
      {respond === 'sync' && answer ? (
        <div className="stack" data-testid="trigger-answer">
          <h3 className="section__title">
            Answer <span className="muted small">(what the caller got{early ? <>, from step <code>{early.step_id}</code></> : null})</span>
          </h3>
          <p>
            Status <code data-testid="trigger-answer-status">{answer.status}</code>
          </p>
          {answer.headers && Object.keys(answer.headers).length > 0 && <JsonView title="Answer headers" value={answer.headers} open={1} />}
          <JsonView title="Answer body" value={answer.body ?? undefined} testId="trigger-answer-body" open={3} />
        </div>
      ) : respond === 'sync' ? (
        <p className="muted small" data-testid="trigger-answer-none">
          {execution.status === 'failed' ? (
            <>
              No respond step answered: the caller got the default <code>500 execution_failed</code> (not stored).
            </>
          ) : (
            <>No respond step answered: the caller got the execution’s output (the exact reply is not stored).</>
          )}
        </p>
      ) : respond === 'async' ? (
        <p className="muted small" data-testid="trigger-answer-none">
          Answered at once with <code>202</code> and the execution’s id.
        </p>
      ) : null}
    </div>
  );
}

/** A refused preview's first located problem (the cron or the zone), else the error. */
function problemText(e: unknown): string {
  const problems = e instanceof ApiError ? (e.details as { problems?: { message: string }[] } | null)?.problems : undefined;
  return problems?.[0]?.message ?? describeError(e);
}

/** The next runs as the server computes them (its time zone and daylight saving rules),
 * shown in the schedule's zone. */
function CronPreview({ cron, timezone }: { cron: string; timezone?: string | null }) {
  const [state, setState] = useState<{ runs: string[]; zone: string } | { error: string } | null>(null);
  useEffect(() => {
    const ctl = new AbortController();
    const t = setTimeout(() => {
      workflowsApi.previewSchedule(cron, timezone, ctl.signal).then(
        (s) => setState({ runs: s.next_runs, zone: s.timezone }),
        (e) => !isAbort(e) && setState({ error: problemText(e) }),
      );
    }, 250);
    return () => {
      clearTimeout(t);
      ctl.abort();
    };
  }, [cron, timezone]);
  if (!state) return null;
  if ('error' in state) return <p className="field__error">{state.error}</p>;
  const local = new Intl.DateTimeFormat('en-GB', { timeZone: state.zone, dateStyle: 'medium', timeStyle: 'short' });
  return (
    <div>
      <h3 className="section__title">Next runs ({state.zone})</h3>
      <ol className="plain-list" data-testid="cron-preview">
        {state.runs.map((t) => (
          <li key={t}>
            <code>{local.format(new Date(t))}</code>
          </li>
        ))}
      </ol>
    </div>
  );
}

function WebhookFields({ trigger, readOnly, setTrigger, problems }: { trigger: WebhookTrigger; readOnly: boolean; setTrigger: (t: Trigger, key?: string) => void; problems: { field?: string | null; step?: string | null; message: string }[] }) {
  const base = useEditor((s) => hookBase(s.record));
  const prodUrl = `${base}/hooks/${trigger.path}`;
  const testUrl = `${base}/hooks-test/${trigger.path}`;
  const methods = trigger.methods ?? ['POST'];
  const auth: WebhookAuth = trigger.auth ?? { type: 'none' };
  const setAuth = (patch: Partial<WebhookAuth>) => {
    const next = { ...auth, ...patch };
    for (const k of Object.keys(next) as (keyof WebhookAuth)[]) if (next[k] === undefined || next[k] === '') delete next[k];
    setTrigger({ ...trigger, auth: next.type === 'none' && Object.keys(next).length === 1 ? undefined : next }, 'auth');
  };
  const active = useEditor((s) => s.record?.active ?? false);

  return (
    <>
      <Field label="Path" htmlFor="trigger-path" hint="Lower-case letters, digits, - and _, segments joined by /" error={errorsOf('trigger.path', problems)}>
        <input id="trigger-path" value={trigger.path} readOnly={readOnly} data-testid="trigger-path" onChange={(e) => setTrigger({ ...trigger, path: e.target.value }, 'path')} />
      </Field>
      <div className="url-box">
        <div className="url-box__row">
          <span className="url-box__label">Production</span>
          <code className="url-box__url" data-testid="production-url">
            {prodUrl}
          </code>
          <CopyButton text={prodUrl} label="Copy production URL" testId="copy-production-url" />
        </div>
        <p className="muted small">{active ? 'Active: calls run the saved workflow.' : 'Answers once the workflow is active.'}</p>
        <div className="url-box__row">
          <span className="url-box__label">Test</span>
          <code className="url-box__url" data-testid="test-url">
            {testUrl}
          </code>
          <CopyButton text={testUrl} label="Copy test URL" testId="copy-test-url" />
        </div>
        <p className="muted small">Runs the saved draft, even while inactive — but only while you listen for a test event below; otherwise it answers 404.</p>
      </div>
      <TestListener />
      <Field label="Methods" htmlFor="trigger-methods">
        <div className="chips" id="trigger-methods" role="group" aria-label="Allowed methods">
          {METHODS.map((m) => (
            <label key={m} className={`chip chip--check${methods.includes(m) ? ' is-on' : ''}`}>
              <input
                type="checkbox"
                checked={methods.includes(m)}
                disabled={readOnly}
                onChange={(e) => {
                  const next = e.target.checked ? [...methods, m] : methods.filter((x) => x !== m);
                  const ordered = METHODS.filter((x) => next.includes(x));
                  setTrigger({ ...trigger, methods: ordered.length === 1 && ordered[0] === 'POST' && !trigger.methods ? undefined : ordered }, 'methods');
                }}
              />
              {m}
            </label>
          ))}
        </div>
      </Field>
      <Field label="Respond" htmlFor="trigger-respond">
        <select
          id="trigger-respond"
          value={trigger.respond ?? ''}
          disabled={readOnly}
          data-testid="trigger-respond"
          onChange={(e) => setTrigger({ ...trigger, respond: (e.target.value || undefined) as WebhookTrigger['respond'] }, 'respond')}
        >
          <option value="">async (default) — 202 at once with the execution id</option>
          <option value="async">async — 202 at once with the execution id</option>
          <option value="sync">sync — wait and answer with the result (a Respond step)</option>
        </select>
      </Field>
      <Field label="Rate limit" htmlFor="trigger-rate-limit" hint="At most N calls per second, minute or hour, e.g. 100/s, 10/min, 1000/h; beyond it 429 with Retry-After. Empty: no limit" error={errorsOf('trigger.rate_limit', problems)}>
        <input id="trigger-rate-limit" value={trigger.rate_limit ?? ''} placeholder="100/s" readOnly={readOnly} data-testid="trigger-rate-limit" onChange={(e) => setTrigger({ ...trigger, rate_limit: e.target.value.trim() || undefined }, 'rate_limit')} />
      </Field>
      <div className="grid-2">
        <Field label="Authentication" htmlFor="trigger-auth">
          <select id="trigger-auth" value={auth.type} disabled={readOnly} data-testid="trigger-auth" onChange={(e) => setAuth({ type: e.target.value as AuthKind, preset: e.target.value === 'hmac' ? (auth.preset ?? 'standard-webhooks') : undefined })}>
            <option value="none">None</option>
            <option value="header">Header token</option>
            <option value="basic">Basic</option>
            <option value="hmac">HMAC signature</option>
          </select>
        </Field>
        {auth.type === 'hmac' && (
          <Field label="Preset" htmlFor="trigger-preset">
            <select id="trigger-preset" value={auth.preset ?? 'standard-webhooks'} disabled={readOnly} onChange={(e) => setAuth({ preset: e.target.value as HmacPreset })}>
              <option value="standard-webhooks">Standard Webhooks</option>
              <option value="stripe">Stripe</option>
              <option value="github">GitHub</option>
              <option value="generic">Generic</option>
            </select>
          </Field>
        )}
      </div>
      {auth.type !== 'none' && (
        <div className="grid-2">
          <Field label="Credential" htmlFor="trigger-credential" hint="Name of the stored secret" error={errorsOf('trigger.auth', problems)}>
            <CredentialPicker
              id="trigger-credential"
              testId="trigger-credential"
              value={auth.credential ?? ''}
              readOnly={readOnly}
              placeholder="stripe-signing"
              kinds={auth.type === 'hmac' ? ['secret'] : auth.type === 'basic' ? ['basic', 'secret'] : ['secret', 'bearer']}
              onChange={(name) => setAuth({ credential: name ?? '' })}
            />
          </Field>
          {(auth.type === 'header' || (auth.type === 'hmac' && auth.preset === 'generic')) && (
            <Field label="Header" htmlFor="trigger-header" hint={auth.type === 'header' ? 'default authorization' : 'carries the signature'}>
              <input id="trigger-header" value={auth.header ?? ''} readOnly={readOnly} onChange={(e) => setAuth({ header: e.target.value })} />
            </Field>
          )}
        </div>
      )}
    </>
  );
}

function TestListener() {
  const record = useEditor((s) => s.record);
  const mergeLastRunRequest = useEditor((s) => s.mergeLastRunRequest);
  const dirty = useDirty();
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'listening'; until: number } | { kind: 'timeout' } | { kind: 'error'; message: string } | { kind: 'got'; request: CapturedRequest }>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const [now, setNow] = useState(() => Date.now());

  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => {
    if (state.kind !== 'listening') return;
    const t = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(t);
  }, [state.kind]);

  async function listen() {
    if (!record) return;
    abort.current?.abort();
    const ac = new AbortController();
    abort.current = ac;
    setNow(Date.now());
    setState({ kind: 'listening', until: Date.now() + LISTEN_SECONDS * 1000 });
    try {
      const event = await workflowsApi.testEvent(record.id, LISTEN_SECONDS, ac.signal);
      if (!event) return setState({ kind: 'timeout' });
      setState({ kind: 'got', request: event.request });
      mergeLastRunRequest(event.request);
      toast.success('Test event received: its data now feeds field completion.');
      if (event.execution_id) followExecution(event.execution_id);
    } catch (e) {
      if (isAbort(e)) return setState({ kind: 'idle' });
      setState({ kind: 'error', message: describeError(e) });
    }
  }

  return (
    <div className="listener" data-testid="test-listener">
      {state.kind === 'listening' ? (
        <div className="listener__waiting" role="status">
          <span className="pulse" aria-hidden />
          <span>
            Listening: call the test URL now… <span className="muted">{Math.max(0, Math.round((state.until - now) / 1000))} s</span>
          </span>
          <Button size="sm" variant="ghost" onClick={() => abort.current?.abort()}>
            Stop
          </Button>
        </div>
      ) : (
        <Button icon={Ear} onClick={() => void listen()} disabled={!record} data-testid="listen-test-event">
          Listen for a test event
        </Button>
      )}
      {dirty && state.kind !== 'got' && <p className="muted small">Unsaved changes: the test URL runs the last saved version.</p>}
      {state.kind === 'timeout' && <p className="muted small">No call arrived in {LISTEN_SECONDS} s. Send a request to the test URL, then listen again.</p>}
      {state.kind === 'error' && (
        <p className="field__error" role="alert">
          Could not listen: {state.message}
        </p>
      )}
      {state.kind === 'got' && <JsonView title={`${state.request.method} ${state.request.path}`} value={state.request} testId="captured-request" open={2} />}
    </div>
  );
}
