// The selected step: its config form (from the action's JSON Schema), per-step options, the data
// picker, its last run, and its raw YAML.
import { ChevronDown, ChevronRight, Pin, Play, Trash2, X } from 'lucide-react';
import { useState } from 'react';
import { parseDocument, stringify } from 'yaml';
import { Button, Field, IconButton, Tabs } from '../../app/ui';
import { useActionInfo, useActions } from '../../features/actions/hooks';
import type { Problem, Retry, Step } from '../../lib/types';
import { ProblemList } from '../../features/workflows/components/ProblemList';
import { actionMeta } from '../../nodes/actions';
import { display, numberOrText } from '../form/fields';
import { SchemaForm } from '../form/SchemaForm';
import { TemplateInput } from '../form/TemplateInput';
import { runStep, useDocument } from '../hooks';
import { JsonView } from '../JsonView';
import { usePins } from '../pins';
import { useEditor } from '../store';
import type { StepNode } from '../types';
import { DataPicker } from './DataPicker';
import { StepRunDetails } from './StepRunDetails';

type Tab = 'settings' | 'output' | 'yaml';

/** Problems of a step by field: `with.url` → errors.with.url; others by their first segment. */
function fieldErrors(problems: Problem[]): { withErrors: Record<string, string>; stepErrors: Record<string, string> } {
  const withErrors: Record<string, string> = {};
  const stepErrors: Record<string, string> = {};
  for (const p of problems) {
    const field = p.field ?? '';
    if (field.startsWith('with.')) {
      const name = field.slice(5).split(/[.[]/)[0];
      withErrors[name] ??= p.message;
    } else if (field) {
      stepErrors[field.split('.')[0]] ??= p.message;
    }
  }
  return { withErrors, stepErrors };
}

export function StepPanel({ node }: { node: StepNode }) {
  const step = node.data.step;
  const id = node.id;
  const meta = actionMeta(step.action);
  const info = useActionInfo(step.action);
  const catalogLoaded = useActions((s) => !!s.actions);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const updateStep = useEditor((s) => s.updateStep);
  const select = useEditor((s) => s.select);
  const deleteSelection = useEditor((s) => s.deleteSelection);
  const allProblems = useEditor((s) => s.problems);
  const live = useEditor((s) => s.run?.steps[id]);
  const problems = allProblems.filter((p) => p.step === id);
  const { withErrors, stepErrors } = fieldErrors(problems);
  const inExecution = useEditor((s) => s.mode.kind === 'execution');
  // Viewing an execution, a step opens on its run data (input, output, error) until a tab is picked.
  const [picked, setTab] = useState<Tab | null>(null);
  const tab: Tab = picked ?? (inExecution && live ? 'output' : 'settings');
  const [optionsOpen, setOptionsOpen] = useState(false);
  const shownTab: Tab = tab === 'output' && !live ? 'settings' : tab;

  const setOption = (name: keyof Step, value: unknown) =>
    updateStep(
      id,
      (s) => {
        const next = { ...s } as Record<string, unknown>;
        if (value === undefined) delete next[name as string];
        else next[name as string] = value;
        return next as Step;
      },
      String(name),
    );

  const hasOptions = step.retry || step.timeout || step.for_each !== undefined || step.continue_on_error || step.concurrency;
  const optionsVisible = optionsOpen || !!hasOptions || Object.keys(stepErrors).some((k) => ['retry', 'timeout', 'for_each', 'concurrency'].includes(k));

  return (
    <section className="panel" aria-label={`Step ${id}`} data-testid="step-panel">
      <header className="panel__header">
        <span className="panel__icon" style={{ background: meta.tint }} aria-hidden>
          <meta.icon size={16} />
        </span>
        <div className="panel__heading">
          <h2>{step.name || id}</h2>
          <span className="muted small">{meta.title !== step.action ? meta.title : (info?.title ?? step.action)}</span>
        </div>
        {!readOnly && <RunStepButton id={id} />}
        {!readOnly && <IconButton icon={Trash2} label={`Delete step ${id}`} variant="danger" onClick={deleteSelection} data-testid="delete-step" />}
        <IconButton icon={X} label="Close panel" onClick={() => select([])} />
      </header>
      <Tabs
        label="Step"
        value={shownTab}
        onChange={setTab}
        tabs={[
          { id: 'settings', label: 'Settings', badge: problems.length || undefined },
          ...(live ? [{ id: 'output' as const, label: 'Last run' }] : []),
          { id: 'yaml', label: 'YAML' },
        ]}
      />
      <div className="panel__body">
        {shownTab === 'settings' && (
          <div className="stack">
            {problems.length > 0 && <ProblemList problems={problems} />}
            <div className="grid-2">
              <StepIdField id={id} readOnly={readOnly} />
              <Field label="Label" htmlFor={`name-${id}`} hint="Shown on the canvas instead of the id.">
                <input
                  id={`name-${id}`}
                  value={step.name ?? ''}
                  placeholder={id}
                  readOnly={readOnly}
                  data-testid="step-name"
                  onChange={(e) => setOption('name', e.target.value || undefined)}
                />
              </Field>
            </div>
            {info?.connector && (
              <div className="operation-doc" data-testid="operation-doc">
                <code>
                  {info.connector.method} {info.connector.base_url}
                  {info.connector.path}
                </code>
                <span className="muted small">
                  {' '}
                  · {info.connector.name} v{info.connector.version}
                  {info.connector.credential_types.length > 0 && ` · credential: ${info.connector.credential_types.join(' or ')}`}
                </span>
                {info.description && <p>{info.description}</p>}
              </div>
            )}
            {info ? (
              <SchemaForm
                schema={info.config_schema}
                value={step.with}
                stepId={id}
                readOnly={readOnly}
                errors={withErrors}
                primary={meta.primary}
                credentialKinds={info.connector ? (info.connector.credential_types.length ? info.connector.credential_types : undefined) : meta.credentialKinds}
                onChange={(value, field) => updateStep(id, (s) => ({ ...s, with: value }), `with.${field}`)}
              />
            ) : (
              <p className="notice">
                {catalogLoaded
                  ? `This server has no action “${step.action}”: edit the step in the YAML tab.`
                  : `The form for “${step.action}” needs the action catalog from the server; edit the step in the YAML tab meanwhile.`}
              </p>
            )}
            <div className="section">
              <button type="button" className="section__toggle" aria-expanded={optionsVisible} onClick={() => setOptionsOpen(!optionsVisible)} data-testid="step-options-toggle">
                {optionsVisible ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}
                Options <span className="muted small">retry, timeout, for each, errors</span>
              </button>
              {optionsVisible && <StepOptions step={step} readOnly={readOnly} errors={stepErrors} setOption={setOption} />}
            </div>
            <PinnedOutput id={id} />
            <div className="section">
              <h3 className="section__title">Insert data</h3>
              <DataPicker stepId={id} />
            </div>
          </div>
        )}
        {shownTab === 'output' && live && <StepRunDetails stepId={id} />}
        {shownTab === 'yaml' && <StepYaml key={id} id={id} readOnly={readOnly} />}
      </div>
    </section>
  );
}

/** Runs this step alone, with its inputs from the pins and the last run. */
function RunStepButton({ id }: { id: string }) {
  const [busy, setBusy] = useState(false);
  const running = useEditor((s) => s.run?.status === 'running' || s.run?.status === 'queued');
  return (
    <IconButton
      icon={Play}
      label={`Run step ${id} alone (inputs from pinned data or the last run)`}
      disabled={busy || running}
      data-testid="run-step"
      onClick={async () => {
        setBusy(true);
        try {
          await runStep(id);
        } finally {
          setBusy(false);
        }
      }}
    />
  );
}

/** The step's pinned output, if it has one: what test runs use instead of running it. */
function PinnedOutput({ id }: { id: string }) {
  const pinned = usePins((s) => s.steps[id]);
  const unpinStep = usePins((s) => s.unpinStep);
  if (pinned === undefined) return null;
  return (
    <div className="section pinned" data-testid="pinned-output">
      <h3 className="section__title">
        <Pin size={13} aria-hidden /> Pinned output <span className="muted small">test runs use it instead of running the step; production runs never do</span>
      </h3>
      <JsonView title="Pinned" value={pinned} open={1} />
      <Button size="sm" onClick={() => void unpinStep(id)} data-testid="unpin-step">
        Unpin
      </Button>
    </div>
  );
}

function StepIdField({ id, readOnly }: { id: string; readOnly: boolean }) {
  const renameStep = useEditor((s) => s.renameStep);
  const [draft, setDraft] = useState({ for: id, text: id, error: null as string | null });
  if (draft.for !== id) setDraft({ for: id, text: id, error: null });
  const commit = () => {
    if (draft.text === id) return;
    const error = renameStep(id, draft.text.trim());
    setDraft(error ? { ...draft, error } : { for: draft.text.trim(), text: draft.text.trim(), error: null });
  };
  return (
    <Field label="Id" htmlFor={`id-${id}`} hint={<>Read as <code>steps.{id}</code></>} error={draft.error ?? undefined}>
      <input
        id={`id-${id}`}
        value={draft.text}
        readOnly={readOnly}
        data-testid="step-id"
        onChange={(e) => setDraft({ ...draft, text: e.target.value, error: null })}
        onBlur={commit}
        onKeyDown={(e) => e.key === 'Enter' && commit()}
      />
    </Field>
  );
}

function StepOptions({ step, readOnly, errors, setOption }: { step: Step; readOnly: boolean; errors: Record<string, string>; setOption: (name: keyof Step, value: unknown) => void }) {
  const id = step.id;
  const retry = step.retry ?? null;
  const setRetry = (patch: Partial<Retry> | null) => setOption('retry', patch === null ? undefined : { ...(retry ?? { max_attempts: 3 }), ...patch });
  const cleanRetry = (key: keyof Retry, value: unknown) => {
    const next = { ...(retry ?? { max_attempts: 3 }) } as Record<string, unknown>;
    if (value === undefined || value === '') delete next[key];
    else next[key] = value;
    setOption('retry', next);
  };
  return (
    <div className="stack options" data-testid="step-options">
      <label className="checkbox">
        <input type="checkbox" checked={!!retry} disabled={readOnly} data-testid="retry-enabled" onChange={(e) => setRetry(e.target.checked ? { max_attempts: 3, backoff: 'exponential', initial_delay: '1s' } : null)} />
        Retry when it fails
      </label>
      {retry && (
        <div className="grid-2">
          <Field label="Attempts in all" htmlFor={`retry-max-${id}`} error={errors.retry}>
            <input id={`retry-max-${id}`} type="number" min={1} max={100} value={retry.max_attempts} readOnly={readOnly} data-testid="retry-max-attempts" onChange={(e) => cleanRetry('max_attempts', e.target.value ? Number(e.target.value) : 1)} />
          </Field>
          <Field label="Backoff" htmlFor={`retry-backoff-${id}`}>
            <select id={`retry-backoff-${id}`} value={retry.backoff ?? ''} disabled={readOnly} onChange={(e) => cleanRetry('backoff', e.target.value || undefined)}>
              <option value="">exponential (default)</option>
              <option value="exponential">exponential</option>
              <option value="fixed">fixed</option>
            </select>
          </Field>
          <Field label="First delay" htmlFor={`retry-initial-${id}`} hint="e.g. 500ms, 1s">
            <input id={`retry-initial-${id}`} value={retry.initial_delay ?? ''} placeholder="1s" readOnly={readOnly} onChange={(e) => cleanRetry('initial_delay', e.target.value)} />
          </Field>
          <Field label="Longest delay" htmlFor={`retry-max-delay-${id}`} hint="default 5m">
            <input id={`retry-max-delay-${id}`} value={retry.max_delay ?? ''} placeholder="5m" readOnly={readOnly} onChange={(e) => cleanRetry('max_delay', e.target.value)} />
          </Field>
        </div>
      )}
      <Field label="Timeout per attempt" htmlFor={`timeout-${id}`} hint="e.g. 10s; empty: the engine's default" error={errors.timeout}>
        <input id={`timeout-${id}`} value={step.timeout ?? ''} placeholder="10s" readOnly={readOnly} data-testid="step-timeout" onChange={(e) => setOption('timeout', e.target.value || undefined)} />
      </Field>
      <Field label="For each" htmlFor={`for-each-${id}`} hint={<>A template yielding a list: the action runs once per item, with <code>item</code> and <code>index</code>.</>} error={errors.for_each}>
        <TemplateInput id={`for-each-${id}`} value={display(step.for_each)} stepId={id} readOnly={readOnly} testId="step-for-each" placeholder="{{trigger.body.contacts}}" onChange={(v) => setOption('for_each', v || undefined)} />
      </Field>
      {step.for_each !== undefined && (
        <Field label="Items at once" htmlFor={`concurrency-${id}`} hint="default 1" error={errors.concurrency}>
          <input id={`concurrency-${id}`} type="number" min={1} value={step.concurrency ?? ''} readOnly={readOnly} onChange={(e) => setOption('concurrency', numberOrText(e.target.value))} />
        </Field>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={step.continue_on_error === true} disabled={readOnly} data-testid="continue-on-error" onChange={(e) => setOption('continue_on_error', e.target.checked ? true : undefined)} />
        Continue on error <span className="muted small">(the failure becomes the output <code>{'{error}'}</code>)</span>
      </label>
      {errors.continue_on_error && <p className="field__error">{errors.continue_on_error}</p>}
    </div>
  );
}

/** The step as YAML, editable: applying it replaces the step (its `after` rewires the edges). */
function StepYaml({ id, readOnly }: { id: string; readOnly: boolean }) {
  const doc = useDocument();
  const replaceStep = useEditor((s) => s.replaceStep);
  const step = doc.steps?.find((s) => s.id === id);
  const saved = step ? stringify(step, { lineWidth: 0 }) : '';
  const [text, setText] = useState<{ base: string; value: string; error: string | null }>({ base: saved, value: saved, error: null });
  if (text.base !== saved && text.value === text.base) setText({ base: saved, value: saved, error: null });
  const changed = text.value !== saved;

  function apply() {
    const parsed = parseDocument(text.value);
    if (parsed.errors.length) {
      const e = parsed.errors[0];
      return setText({ ...text, error: `${e.linePos ? `Line ${e.linePos[0].line}, column ${e.linePos[0].col}: ` : ''}${e.message.split('\n')[0]}` });
    }
    const value = parsed.toJS() as Step;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return setText({ ...text, error: 'A step is a mapping with an id and an action.' });
    if (typeof value.id !== 'string' || typeof value.action !== 'string') return setText({ ...text, error: 'A step needs `id` and `action`.' });
    const error = replaceStep(id, value);
    if (error) return setText({ ...text, error });
    const applied = stringify(value, { lineWidth: 0 });
    setText({ base: applied, value: applied, error: null });
  }

  return (
    <div className="stack">
      <p className="muted small">The step exactly as it is saved. Edit it here for fields the form does not show; <code>after</code> sets its inputs.</p>
      <textarea
        className="code-area"
        rows={Math.min(30, Math.max(8, text.value.split('\n').length + 1))}
        spellCheck={false}
        value={text.value}
        readOnly={readOnly}
        aria-label={`YAML of step ${id}`}
        data-testid="step-yaml"
        onChange={(e) => setText({ ...text, value: e.target.value, error: null })}
      />
      {text.error && (
        <p className="field__error" role="alert" data-testid="step-yaml-error">
          {text.error}
        </p>
      )}
      {!readOnly && (
        <div className="row gap">
          <Button variant="primary" size="sm" disabled={!changed} onClick={apply} data-testid="step-yaml-apply">
            Apply
          </Button>
          <Button size="sm" disabled={!changed} onClick={() => setText({ base: saved, value: saved, error: null })}>
            Reset
          </Button>
        </div>
      )}
    </div>
  );
}
