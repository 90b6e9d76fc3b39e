// A step's `with:` as a form generated from the action's JSON Schema.
import { ChevronDown, ChevronRight } from 'lucide-react';
import { useMemo, useState } from 'react';
import { Field } from '../../app/ui';
import type { JsonSchema } from './jsonSchema';
import { display, KeyValueEditor, numberOrText, ValueEditor } from './fields';
import { formFields, type FormField } from './schema';
import { TemplateInput } from './TemplateInput';
import { CredentialPicker } from '../../features/credentials/components/CredentialPicker';

type Config = Record<string, unknown>;

function label(name: string): string {
  const special: Record<string, string> = { url: 'URL', json: 'JSON body', accept_status: 'Accepted statuses', credential: 'Credential' };
  return special[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ');
}

/** Sets or removes one key, keeping the others in place. */
export function setField(config: Config, name: string, value: unknown): Config {
  if (value === undefined) {
    const { [name]: _gone, ...rest } = config;
    return rest;
  }
  return { ...config, [name]: value };
}

function firstLine(text?: string): string | undefined {
  return text?.split('\n').join(' ').replace(/`/g, '');
}

export interface SchemaFormProps {
  schema: JsonSchema;
  value: unknown;
  onChange: (value: Config, field: string) => void;
  stepId: string;
  readOnly?: boolean;
  /** Field name (first segment after `with.`) → problem message. */
  errors: Record<string, string>;
  /** Fields always shown; the others fold under "More options" until set. */
  primary?: string[];
  /** The credential types `credential` takes (all when absent). */
  credentialKinds?: string[];
}

export function SchemaForm({ schema, value, onChange, stepId, readOnly, errors, primary, credentialKinds }: SchemaFormProps) {
  const fields = useMemo(() => formFields(schema), [schema]);
  const config: Config = value && typeof value === 'object' && !Array.isArray(value) ? (value as Config) : {};
  const [more, setMore] = useState(false);
  const isShown = (f: FormField) => !primary || primary.includes(f.name) || f.required || config[f.name] !== undefined || !!errors[f.name];
  const main = fields.filter(isShown);
  const rest = fields.filter((f) => !isShown(f));
  const unknown = Object.keys(config).filter((k) => !fields.some((f) => f.name === k));

  const set = (name: string, v: unknown) => onChange(setField(config, name, v), name);

  const render = (f: FormField) => (
    <FieldEditor key={f.name} field={f} value={config[f.name]} onChange={(v) => set(f.name, v)} stepId={stepId} readOnly={readOnly} error={errors[f.name]} url={config.url} credentialKinds={credentialKinds} />
  );

  return (
    <div className="schema-form">
      {main.map(render)}
      {rest.length > 0 && (
        <div className="more">
          <button type="button" className="more__toggle" aria-expanded={more} onClick={() => setMore(!more)}>
            {more ? <ChevronDown size={14} aria-hidden /> : <ChevronRight size={14} aria-hidden />}
            More options <span className="muted">({rest.map((f) => f.name).join(', ')})</span>
          </button>
          {more && rest.map(render)}
        </div>
      )}
      {unknown.length > 0 && (
        <p className="muted small">
          Also set (edit in the YAML view): {unknown.map((k) => <code key={k}>{k}</code>)}
        </p>
      )}
    </div>
  );
}

function FieldEditor({ field, value, onChange, stepId, readOnly, error, url, credentialKinds }: {
  field: FormField;
  value: unknown;
  onChange: (v: unknown) => void;
  stepId: string;
  readOnly?: boolean;
  error?: string;
  /** The step's `with.url`, where a credential would be sent. */
  url?: unknown;
  credentialKinds?: string[];
}) {
  const id = `with-${stepId}-${field.name}`;
  const testId = `with-${field.name}`;
  const hint = firstLine(field.description);
  const k = field.kind;
  let control;
  switch (k.kind) {
    case 'enum': {
      const current = display(value);
      const isTemplate = current.includes('{{');
      control = isTemplate ? (
        <TemplateInput id={id} value={current} onChange={(v) => onChange(v || undefined)} stepId={stepId} readOnly={readOnly} testId={testId} invalid={!!error} />
      ) : (
        <select id={id} value={current} disabled={readOnly} data-testid={testId} aria-invalid={!!error || undefined} onChange={(e) => onChange(e.target.value || undefined)}>
          {!field.required && <option value="">(default)</option>}
          {current && !k.options.includes(current) && <option value={current}>{current}</option>}
          {k.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      );
      break;
    }
    case 'boolean':
      control = (
        <label className="checkbox">
          <input id={id} type="checkbox" checked={value === true} disabled={readOnly} data-testid={testId} onChange={(e) => onChange(e.target.checked ? true : undefined)} />
          {label(field.name)}
        </label>
      );
      break;
    case 'number':
      control = (
        <TemplateInput
          id={id}
          value={display(value)}
          onChange={(v) => onChange(numberOrText(v))}
          stepId={stepId}
          readOnly={readOnly}
          testId={testId}
          invalid={!!error}
          placeholder={k.min !== undefined && k.max !== undefined ? `${k.min}–${k.max}` : undefined}
        />
      );
      break;
    case 'map':
      control = (
        <KeyValueEditor
          id={id}
          value={value}
          onChange={onChange}
          stepId={stepId}
          readOnly={readOnly}
          testId={testId}
          keyPlaceholder={field.name === 'cases' ? 'case' : 'name'}
          valuePlaceholder={field.name === 'cases' ? 'matches value' : 'value'}
        />
      );
      break;
    case 'list':
      control = (
        <TemplateInput
          id={id}
          value={Array.isArray(value) ? value.join(', ') : display(value)}
          onChange={(v) => {
            if (!v.trim()) return onChange(undefined);
            if (v.includes('{{') && !v.includes(',')) return onChange(v);
            const items = v.split(',').map((x) => x.trim()).filter(Boolean);
            onChange(k.item === 'number' ? items.map((x) => (/^\d+$/.test(x) ? Number(x) : x)) : items);
          }}
          stepId={stepId}
          readOnly={readOnly}
          testId={testId}
          invalid={!!error}
          placeholder="comma-separated, e.g. 404, 409"
        />
      );
      break;
    case 'any':
      control = <ValueEditor id={id} value={value} onChange={onChange} stepId={stepId} readOnly={readOnly} testId={testId} invalid={!!error} preferText={['condition', 'value', 'message'].includes(field.name)} />;
      break;
    default:
      control = field.name === 'credential' ? (
        <CredentialPicker
          id={id}
          value={display(value)}
          onChange={onChange}
          readOnly={readOnly}
          testId={testId}
          invalid={!!error}
          kinds={credentialKinds}
          url={url}
        />
      ) : (
        <TemplateInput
          id={id}
          value={display(value)}
          onChange={(v) => onChange(v === '' && !field.required ? undefined : v)}
          stepId={stepId}
          readOnly={readOnly}
          testId={testId}
          invalid={!!error}
          placeholder={field.name === 'url' ? 'https://api.example.com/users or {{env.API_URL}}/users' : Array.isArray(k.examples) ? `e.g. ${k.examples.join(', ')}` : undefined}
        />
      );
  }
  if (k.kind === 'boolean') {
    return (
      <div className={`field${error ? ' has-error' : ''}`} data-testid={`field-${field.name}`}>
        {control}
        {error ? <p className="field__error" role="alert">{error}</p> : hint && <p className="field__hint">{hint}</p>}
      </div>
    );
  }
  return (
    <div data-testid={`field-${field.name}`}>
      <Field label={label(field.name)} htmlFor={id} required={field.required} hint={hint} error={error}>
        {control}
      </Field>
    </div>
  );
}
