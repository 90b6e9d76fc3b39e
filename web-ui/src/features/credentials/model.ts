// The pure part of the credential forms: host patterns checked as the server checks them
// (engine's `HostPattern::parse`), a step URL's host as a first pattern, the form's fields from
// a type's schema, and the form's state turned into the API's body. No React, no HTTP.
import type { JsonSchema } from '../../editor/form/jsonSchema';
import { formFields, type FormField } from '../../editor/form/schema';
import type { CredentialIn, Credential, CredentialTypeInfo, CredentialUpdate } from '../../lib/types';

/** Why `text` is not a host pattern (`api.example.com`, `*.example.com`, `127.0.0.1:8080`,
 * `[::1]:8443`), or `null` when it is one. Mirrors the server's rules and wording. */
export function hostPatternProblem(text: string): string | null {
  const bad = (why: string) => `\`${text}\` is not a host pattern: ${why}`;
  const t = text.trim();
  if (!t) return bad('it is empty');
  if (t.includes('://') || t.includes('/') || t.includes('?') || t.includes('#')) {
    return bad('write only the host (and a port), such as `api.example.com` or `*.example.com:8443`');
  }
  if (t.includes('@')) return bad('it holds `@`');
  const isPort = (p: string) => /^\d{1,5}$/.test(p) && Number(p) <= 65535;
  let host: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0) return bad('an IPv6 address needs its closing `]`');
    const after = t.slice(close + 1);
    if (after && !(after.startsWith(':') && isPort(after.slice(1)))) return bad('the port is not a number from 0 to 65535');
    if (!isIpv6(t.slice(1, close))) return bad('it is not an IPv6 address');
    return null;
  }
  const colon = t.lastIndexOf(':');
  if (colon >= 0) {
    if (!isPort(t.slice(colon + 1))) return bad('the port is not a number from 0 to 65535');
    host = t.slice(0, colon);
  } else host = t;
  host = host.toLowerCase().replace(/\.+$/, '');
  const wildcard = host.startsWith('*.');
  if (wildcard) host = host.slice(2);
  if (!host || host.includes('*')) return bad('`*` may only be the first label, as in `*.example.com`');
  if (!/^[a-z0-9._-]+$/.test(host)) return bad('a host name holds letters, digits, `-` and `.`');
  if (wildcard && !host.includes('.')) return bad('a wildcard needs a domain with a dot, such as `*.example.com`');
  return null;
}

function isIpv6(text: string): boolean {
  try {
    return new URL(`http://[${text}]/`).hostname.startsWith('[');
  } catch {
    return false;
  }
}

/** The patterns typed one per line (or separated by commas or spaces), blanks dropped. */
export function parseHosts(text: string): string[] {
  return text
    .split(/[\s,]+/)
    .map((h) => h.trim())
    .filter(Boolean);
}

/**
 * The host pattern a step's URL calls (`api.example.com`, `127.0.0.1:4010` with a port that is
 * not the scheme's default), or `''` when the host is not literal (a template such as
 * `{{env.API_URL}}/users`) or the text is no URL.
 */
export function hostOfUrl(url: unknown): string {
  if (typeof url !== 'string') return '';
  const m = /^\s*(https?):\/\/([^/?#]*)/i.exec(url);
  if (!m || !m[2] || m[2].includes('{{')) return '';
  try {
    const u = new URL(`${m[1].toLowerCase()}://${m[2]}/`);
    return u.port ? `${u.hostname}:${u.port}` : u.hostname;
  } catch {
    return '';
  }
}

/** The URL a Test button starts with: the first host's root (`http` for loopback hosts). */
export function testUrlFor(hosts: string[] | null | undefined): string {
  const first = hosts?.[0];
  if (!first) return '';
  const host = first.replace(/^\*\./, '');
  const loopback = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i.test(host);
  return `${loopback ? 'http' : 'https'}://${host}/`;
}

/** Whether a credential of this type must name the hosts it may go to (the type says; a
 * `secret` signs or checks webhooks and is never sent anywhere). */
export function needsHosts(info: Pick<CredentialTypeInfo, 'type' | 'hosts_required'> | undefined): boolean {
  return info ? info.hosts_required : true;
}

// ---------------------------------------------------------------------------------------------
// The form.

export interface CredentialField extends FormField {
  secret: boolean;
}

/** What the form of a type holds: the fields of its `data` (secret ones marked), and whether
 * it names hosts. */
export interface CredentialShape {
  fields: CredentialField[];
  hostsRequired: boolean;
}

export function credentialShape(info: Pick<CredentialTypeInfo, 'type' | 'schema' | 'secret_fields' | 'hosts_required'> | undefined): CredentialShape {
  if (!info) return { fields: [], hostsRequired: true };
  const secret = new Set(info.secret_fields);
  return {
    fields: formFields(info.schema ?? ({} as JsonSchema)).map((f) => ({ ...f, secret: secret.has(f.name) })),
    hostsRequired: needsHosts(info),
  };
}

/** Whether a field applies given the other values (an oauth2 client_credentials grant has no
 * authorize URL). */
export function fieldApplies(type: string, field: string, data: Record<string, unknown>): boolean {
  if (type === 'oauth2' && field === 'authorize_url') return data.grant !== 'client_credentials';
  return true;
}

/** Whether the other values make a field required (an authorization-code grant needs the
 * provider's authorize URL). */
export function requiredBy(draft: CredentialDraft, field: string): boolean {
  return draft.type === 'oauth2' && field === 'authorize_url' && (draft.data.grant ?? 'authorization_code') === 'authorization_code';
}

/** Whether a type connects through the browser (an OAuth2 authorization-code grant). */
export function canConnect(c: Pick<Credential, 'type' | 'data'>): boolean {
  return c.type === 'oauth2' && (c.data.grant ?? 'authorization_code') === 'authorization_code';
}

/** What the form edits: `data` holds text for secrets and strings, typed values otherwise. */
export interface CredentialDraft {
  name: string;
  type: string;
  description: string;
  /** One pattern per line. */
  hosts: string;
  data: Record<string, unknown>;
}

export function emptyDraft(type: string, hosts = ''): CredentialDraft {
  return { name: '', type, description: '', hosts, data: {} };
}

/** The form for an existing credential: its non-secret data; secrets stay empty. */
export function draftOf(c: Credential): CredentialDraft {
  return { name: c.name, type: c.type, description: c.description ?? '', hosts: (c.allowed_hosts ?? []).join('\n'), data: { ...c.data } };
}

/** The server's rule (`credentials::vault::check_name`). */
const NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/** Field → problem, for what can be told before asking the server. `existing` is the stored
 * credential when editing. */
export function draftProblems(draft: CredentialDraft, { fields, hostsRequired }: CredentialShape, existing?: Credential): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existing) {
    if (!draft.name.trim()) out.name = 'Name the credential: steps refer to it by this name.';
    else if (!NAME.test(draft.name.trim())) out.name = 'A credential name has 1 to 64 letters, digits, `-`, `_` or `.`.';
  }
  const hosts = parseHosts(draft.hosts);
  const wrong = hosts.map(hostPatternProblem).find(Boolean);
  if (wrong) out.allowed_hosts = wrong;
  else if (hostsRequired && hosts.length === 0 && (!existing || existing.allowed_hosts != null)) out.allowed_hosts = 'Name at least one host this credential may be sent to.';
  const keptSecrets = existing && existing.type === draft.type ? existing.secrets_set : [];
  for (const f of fields) {
    if (!(f.required || requiredBy(draft, f.name)) || !fieldApplies(draft.type, f.name, draft.data)) continue;
    const v = draft.data[f.name];
    const empty = v === undefined || v === null || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
    if (empty && !(f.secret && keptSecrets.includes(f.name))) out[`data.${f.name}`] = 'Required.';
  }
  return out;
}

/** The draft's `data` as the API takes it: empty values left out (an empty secret keeps the
 * stored one on an update), fields that do not apply dropped. */
export function dataOf(draft: CredentialDraft, { fields }: CredentialShape): Record<string, unknown> {
  const known = new Set(fields.map((f) => f.name));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(draft.data)) {
    if (known.size && !known.has(k)) continue;
    if (!fieldApplies(draft.type, k, draft.data)) continue;
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && v.trim() === '') continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

function hostsOf(draft: CredentialDraft, shape: CredentialShape, existing?: Credential): string[] | null {
  const hosts = parseHosts(draft.hosts);
  if (hosts.length) return hosts;
  // A secret goes nowhere; an unbound credential stays unbound.
  return !shape.hostsRequired || (existing && existing.allowed_hosts == null) ? null : [];
}

/** `POST /credentials`'s body. */
export function credentialIn(draft: CredentialDraft, shape: CredentialShape): CredentialIn {
  const body: CredentialIn = { name: draft.name.trim(), type: draft.type, data: dataOf(draft, shape), allowed_hosts: hostsOf(draft, shape) };
  if (draft.description.trim()) body.description = draft.description.trim();
  return body;
}

/** `PUT /credentials/{name}`'s body: secrets left empty are left out, so the stored ones stay. */
export function credentialUpdate(draft: CredentialDraft, shape: CredentialShape, existing: Credential): CredentialUpdate {
  const body: CredentialUpdate = { data: dataOf(draft, shape), allowed_hosts: hostsOf(draft, shape, existing), description: draft.description.trim() };
  if (draft.type !== existing.type) body.type = draft.type;
  return body;
}

/** The workflows a refused delete names (`409 {details: {workflows}}`). */
export function blockingWorkflows(details: unknown): string[] {
  const w = (details as { workflows?: unknown } | null | undefined)?.workflows;
  return Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : [];
}
