// A credential's form: name, type, the type's `data` drawn from its JSON Schema (secret fields
// as password inputs, never prefilled), the hosts it may go to, a description. Controlled: the
// caller holds the draft. Plain inputs, not the step form's template inputs: a credential's
// values are literal (a `{{…}}` in them would be sent as it is).
import { Plus, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { Field, IconButton } from '../../../app/ui';
import { display, numberOrText } from '../../../editor/form/fields';
import { fieldApplies, requiredBy, type CredentialDraft, type CredentialField, type CredentialShape } from '../model';
import type { Credential, CredentialTypeInfo } from '../../../lib/types';

function label(name: string): string {
  const special: Record<string, string> = { url: 'URL', authorize_url: 'Authorize URL', token_url: 'Token URL', client_id: 'Client ID', extra_params: 'Extra parameters' };
  return special[name] ?? name.charAt(0).toUpperCase() + name.slice(1).replace(/_/g, ' ');
}

export interface CredentialFormProps {
  draft: CredentialDraft;
  onChange: (draft: CredentialDraft) => void;
  types: CredentialTypeInfo[];
  shape: CredentialShape;
  /** The stored credential when editing (its name is fixed, its secrets shown as set). */
  existing?: Credential;
  /** Only these types may be chosen (all when absent). */
  kinds?: string[];
  errors: Record<string, string>;
}

export function CredentialForm({ draft, onChange, types, shape, existing, kinds, errors }: CredentialFormProps) {
  const offered = types.filter((t) => !kinds || kinds.includes(t.type) || t.type === draft.type);
  const info = types.find((t) => t.type === draft.type);
  const kept = existing && existing.type === draft.type ? existing.secrets_set : [];
  const setData = (name: string, v: unknown) => {
    const { [name]: _old, ...rest } = draft.data;
    onChange({ ...draft, data: v === undefined ? rest : { ...rest, [name]: v } });
  };
  return (
    <div className="cred-form" data-testid="credential-form">
      <div className="grid-2">
        <Field label="Name" htmlFor="credential-name" required={!existing} hint={existing ? 'Steps refer to it by this name.' : 'Steps and triggers refer to it by this name.'} error={errors.name}>
          <input id="credential-name" value={draft.name} readOnly={!!existing} autoComplete="off" placeholder="crm-api" data-testid="credential-name" aria-invalid={!!errors.name || undefined} onChange={(e) => onChange({ ...draft, name: e.target.value })} />
        </Field>
        <Field label="Type" htmlFor="credential-type" required hint={info?.description} error={errors.type}>
          <select id="credential-type" value={draft.type} data-testid="credential-type" onChange={(e) => onChange({ ...draft, type: e.target.value, data: {} })}>
            {offered.map((t) => (
              <option key={t.type} value={t.type}>
                {t.title || t.type}
              </option>
            ))}
          </select>
        </Field>
      </div>
      {shape.fields
        .filter((f) => fieldApplies(draft.type, f.name, draft.data))
        .map((f) => (
          <DataField key={`${draft.type}.${f.name}`} field={requiredBy(draft, f.name) ? { ...f, required: true } : f} value={draft.data[f.name]} isSet={kept.includes(f.name)} error={errors[`data.${f.name}`]} onChange={(v) => setData(f.name, v)} />
        ))}
      <Field
        label="Allowed hosts"
        htmlFor="credential-hosts"
        required={shape.hostsRequired && (!existing || existing.allowed_hosts != null)}
        hint={
          !shape.hostsRequired
            ? 'Optional. Without hosts it only checks incoming webhooks; name the receivers (api.example.com, one per line) to sign outgoing webhooks to them.'
            : existing && existing.allowed_hosts == null && !draft.hosts.trim()
              ? 'Unbound: it may be sent to any host. Name hosts to bind it.'
              : 'One per line: api.example.com, *.example.com, 127.0.0.1:8080 — no scheme, no path. The credential is sent nowhere else.'
        }
        error={errors.allowed_hosts}
      >
        <textarea id="credential-hosts" rows={3} value={draft.hosts} spellCheck={false} placeholder={'api.example.com\n*.example.com'} data-testid="credential-hosts" aria-invalid={!!errors.allowed_hosts || undefined} onChange={(e) => onChange({ ...draft, hosts: e.target.value })} />
      </Field>
      <Field label="Description" htmlFor="credential-description" error={errors.description}>
        <input id="credential-description" value={draft.description} data-testid="credential-description" onChange={(e) => onChange({ ...draft, description: e.target.value })} />
      </Field>
    </div>
  );
}

function DataField({ field, value, isSet, error, onChange }: { field: CredentialField; value: unknown; isSet: boolean; error?: string; onChange: (v: unknown) => void }) {
  const id = `credential-data-${field.name}`;
  const k = field.kind;
  const hint = field.secret ? (isSet ? 'Stored. Type a new value to replace it; it is never shown again.' : 'Write-only: stored encrypted, never shown again.') : field.description?.split('\n').join(' ');
  let control;
  if (field.secret) {
    control = (
      <input
        id={id}
        type="password"
        autoComplete="new-password"
        value={typeof value === 'string' ? value : ''}
        placeholder={isSet ? 'set — leave empty to keep' : ''}
        data-testid={id}
        data-set={isSet || undefined}
        aria-invalid={!!error || undefined}
        onChange={(e) => onChange(e.target.value || undefined)}
      />
    );
  } else if (k.kind === 'enum') {
    control = (
      <select id={id} value={display(value)} data-testid={id} onChange={(e) => onChange(e.target.value || undefined)}>
        {!field.required && <option value="">(default)</option>}
        {field.required && value === undefined && <option value="">Choose…</option>}
        {k.options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    );
  } else if (k.kind === 'boolean') {
    control = (
      <label className="checkbox">
        <input id={id} type="checkbox" checked={value === true} data-testid={id} onChange={(e) => onChange(e.target.checked ? true : undefined)} />
        {label(field.name)}
      </label>
    );
  } else if (k.kind === 'number') {
    control = <input id={id} inputMode="numeric" value={display(value)} data-testid={id} aria-invalid={!!error || undefined} onChange={(e) => onChange(numberOrText(e.target.value))} />;
  } else if (k.kind === 'list') {
    control = <ListInput id={id} value={value} onChange={onChange} invalid={!!error} />;
  } else if (k.kind === 'map') {
    control = <PairsInput id={id} value={value} onChange={onChange} />;
  } else {
    control = <input id={id} value={display(value)} autoComplete="off" spellCheck={false} data-testid={id} aria-invalid={!!error || undefined} onChange={(e) => onChange(e.target.value || undefined)} />;
  }
  return (
    <div data-testid={`credential-field-${field.name}`}>
      <Field label={k.kind === 'boolean' ? '' : label(field.name)} htmlFor={id} required={field.required && !isSet} hint={hint} error={error}>
        {control}
      </Field>
    </div>
  );
}

/** A list of words (OAuth2 scopes), typed separated by spaces or commas. */
function ListInput({ id, value, onChange, invalid }: { id: string; value: unknown; onChange: (v: unknown) => void; invalid?: boolean }) {
  const external = Array.isArray(value) ? value.join(' ') : display(value);
  const [local, setLocal] = useState({ text: external, base: external });
  if (local.base !== external) setLocal({ text: external, base: external });
  return (
    <input
      id={id}
      value={local.text}
      placeholder="separated by spaces, e.g. read write"
      spellCheck={false}
      data-testid={id}
      aria-invalid={invalid || undefined}
      onChange={(e) => {
        const items = e.target.value.split(/[\s,]+/).filter(Boolean);
        setLocal({ text: e.target.value, base: items.join(' ') });
        onChange(items.length ? items : undefined);
      }}
    />
  );
}

/** Name → text pairs (extra OAuth2 parameters). */
function PairsInput({ id, value, onChange }: { id: string; value: unknown; onChange: (v: unknown) => void }) {
  const rowsOf = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v).map(([key, x]) => ({ key, value: display(x) })) : []);
  const external = JSON.stringify(value ?? null);
  const [local, setLocal] = useState({ rows: rowsOf(value), base: external });
  if (local.base !== external) setLocal({ rows: rowsOf(value), base: external });
  const update = (rows: { key: string; value: string }[]) => {
    const obj = Object.fromEntries(rows.filter((r) => r.key).map((r) => [r.key, r.value]));
    const next = Object.keys(obj).length ? obj : undefined;
    setLocal({ rows, base: JSON.stringify(next ?? null) });
    onChange(next);
  };
  return (
    <div className="kv" id={id} data-testid={id}>
      {local.rows.map((row, i) => (
        <div className="kv__row" key={i}>
          <input className="kv__key" value={row.key} placeholder="name" aria-label={`name ${i + 1}`} onChange={(e) => update(local.rows.map((r, j) => (j === i ? { ...r, key: e.target.value } : r)))} />
          <input value={row.value} placeholder="value" aria-label={`value ${i + 1}`} onChange={(e) => update(local.rows.map((r, j) => (j === i ? { ...r, value: e.target.value } : r)))} />
          <IconButton icon={Trash2} label={`Remove ${row.key || 'row'}`} onClick={() => update(local.rows.filter((_, j) => j !== i))} />
        </div>
      ))}
      <button type="button" className="link-btn" onClick={() => setLocal({ ...local, rows: [...local.rows, { key: '', value: '' }] })}>
        <Plus size={14} aria-hidden /> Add
      </button>
    </div>
  );
}
