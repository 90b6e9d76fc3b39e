// Editors for values of a step's config: key/value maps and JSON (or plain text) values.
import { Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { IconButton } from '../../app/ui';
import { unquotedTemplate } from './jsonText';
import { TemplateInput } from './TemplateInput';

type Json = unknown;

export function display(v: Json): string {
  if (v === undefined || v === null) return '';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

/** Text typed for a number field: a number when it reads as one, else the text (a template). */
export function numberOrText(text: string): Json {
  const t = text.trim();
  if (t === '') return undefined;
  return /^-?\d+(\.\d+)?$/.test(t) ? Number(t) : text;
}

interface Row {
  key: string;
  value: string;
}

function rowsOf(value: Json): Row[] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).map(([key, v]) => ({ key, value: display(v) }));
}

function objectOf(rows: Row[], original: Json): Record<string, Json> {
  const before = original && typeof original === 'object' ? (original as Record<string, Json>) : {};
  const out: Record<string, Json> = {};
  for (const r of rows) {
    if (!r.key) continue;
    // Keep non-string values (numbers, lists) when their text did not change.
    out[r.key] = r.key in before && display(before[r.key]) === r.value ? before[r.key] : r.value;
  }
  return out;
}

/** Headers, query parameters, form fields, switch cases: key → value rows. */
export function KeyValueEditor({ id, value, onChange, stepId, readOnly, keyPlaceholder = 'name', valuePlaceholder = 'value', testId }: {
  id: string;
  value: Json;
  onChange: (v: Record<string, Json> | undefined) => void;
  stepId: string;
  readOnly?: boolean;
  keyPlaceholder?: string;
  valuePlaceholder?: string;
  testId?: string;
}) {
  const external = JSON.stringify(value ?? null);
  const [local, setLocal] = useState<{ rows: Row[]; base: string }>({ rows: rowsOf(value), base: external });
  if (local.base !== external) setLocal({ rows: rowsOf(value), base: external });

  function update(rows: Row[]) {
    const obj = objectOf(rows, value);
    const next = Object.keys(obj).length ? obj : undefined;
    setLocal({ rows, base: JSON.stringify(next ?? null) });
    onChange(next);
  }

  return (
    <div className="kv" id={id} data-testid={testId}>
      {local.rows.map((row, i) => (
        <div className="kv__row" key={i}>
          <input
            className="kv__key"
            value={row.key}
            placeholder={keyPlaceholder}
            aria-label={`${keyPlaceholder} ${i + 1}`}
            readOnly={readOnly}
            data-testid={testId ? `${testId}-key-${i}` : undefined}
            onChange={(e) => update(local.rows.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))}
          />
          <TemplateInput
            value={row.value}
            stepId={stepId}
            placeholder={valuePlaceholder}
            label={`${valuePlaceholder} ${i + 1}`}
            readOnly={readOnly}
            testId={testId ? `${testId}-value-${i}` : undefined}
            onChange={(v) => update(local.rows.map((r, j) => (j === i ? { ...r, value: v } : r)))}
          />
          {!readOnly && <IconButton icon={Trash2} label={`Remove ${row.key || 'row'}`} onClick={() => update(local.rows.filter((_, j) => j !== i))} />}
        </div>
      ))}
      {!readOnly && (
        <button type="button" className="link-btn" onClick={() => setLocal({ ...local, rows: [...local.rows, { key: '', value: '' }] })} data-testid={testId ? `${testId}-add` : undefined}>
          <Plus size={14} aria-hidden /> Add
        </button>
      )}
    </div>
  );
}

/** Why JSON text does not parse, saying so when a template sits outside quotes. */
function jsonProblem(text: string, error: string): string {
  const at = unquotedTemplate(text);
  if (at) return `Not valid JSON: the template at line ${at.line}, column ${at.column} is outside quotes. In JSON a template goes inside a string: "{{…}}".`;
  return `Not valid JSON yet: ${error}`;
}

/**
 * Any JSON value: edited as JSON (validated as you type), or as plain text when it is a string
 * (a template such as `{{gt trigger.body.amount 1000}}`).
 */
export function ValueEditor({ id, value, onChange, stepId, readOnly, preferText, testId, invalid }: {
  id: string;
  value: Json;
  onChange: (v: Json) => void;
  stepId: string;
  readOnly?: boolean;
  preferText?: boolean;
  testId?: string;
  invalid?: boolean;
}) {
  const external = JSON.stringify(value ?? null, null, 2);
  const initialMode = typeof value === 'string' || (value === undefined && preferText) ? 'text' : 'json';
  const [mode, setMode] = useState<'text' | 'json'>(initialMode);
  const [local, setLocal] = useState<{ text: string; base: string; error: string | null }>({ text: value === undefined ? '' : external, base: external, error: null });
  if (local.base !== external) setLocal({ text: value === undefined ? '' : external, base: external, error: null });

  function onJson(text: string) {
    if (!text.trim()) {
      setLocal({ text, base: 'null', error: null });
      return onChange(undefined);
    }
    try {
      const parsed = JSON.parse(text) as Json;
      setLocal({ text, base: JSON.stringify(parsed, null, 2), error: null });
      onChange(parsed);
    } catch (e) {
      setLocal({ ...local, text, error: (e as Error).message });
    }
  }

  const canText = value === undefined || value === null || typeof value === 'string';
  return (
    <div className="value-editor">
      <div className="value-editor__modes" role="group" aria-label="Edit as">
        <button type="button" className={mode === 'text' ? 'is-active' : ''} disabled={!canText && mode !== 'text'} title={canText ? 'Edit as text (templates allowed)' : 'Only a string can be edited as text'} onClick={() => setMode('text')}>
          Text
        </button>
        <button type="button" className={mode === 'json' ? 'is-active' : ''} onClick={() => setMode('json')}>
          JSON
        </button>
      </div>
      {mode === 'text' && canText ? (
        <TemplateInput id={id} value={display(value)} onChange={(v) => onChange(v === '' ? undefined : v)} stepId={stepId} readOnly={readOnly} testId={testId} invalid={invalid} multiline rows={2} />
      ) : (
        <>
          <TemplateInput
            id={id}
            value={local.text}
            onChange={onJson}
            stepId={stepId}
            readOnly={readOnly}
            testId={testId}
            invalid={invalid || !!local.error}
            multiline
            rows={Math.min(14, Math.max(4, local.text.split('\n').length + 1))}
            placeholder={'{\n  "email": "{{trigger.body.email}}"\n}'}
            json
          />
          {local.error && (
            <p className="field__error" role="alert" data-testid={testId ? `${testId}-json-error` : undefined}>
              {jsonProblem(local.text, local.error)}
            </p>
          )}
        </>
      )}
    </div>
  );
}
