// The credentials API's shapes, written by hand from the contract of issue 14 until the server
// documents them in docs/openapi.json (then these become re-exports of src/generated/, through
// src/lib/types.ts, like every other API type).
import type { JsonSchema } from '../../editor/form/jsonSchema';

export type CredentialType = 'bearer' | 'basic' | 'api_key' | 'header' | 'secret' | 'oauth2';
export type CredentialSource = 'database' | 'file';
export type CredentialStatus = 'ok' | 'needs_reconnect' | 'not_connected';

/** A credential as the API shows it: non-secret data only, secrets by name in `secrets_set`. */
export interface CredentialOut {
  name: string;
  type: string;
  description: string;
  /** `null`: unbound (only file and environment credentials may be). */
  allowed_hosts: string[] | null;
  /** The non-secret fields of `data`. */
  data: Record<string, unknown>;
  /** The secret fields that hold a value. */
  secrets_set: string[];
  source: CredentialSource;
  read_only: boolean;
  status: CredentialStatus;
  status_message: string | null;
  /** The workflows that name it. */
  used_by: string[];
  last_used_at: string | null;
  created_at: string | null;
  updated_at: string | null;
  token_expires_at: string | null;
}

export interface CredentialList {
  items: CredentialOut[];
}

/** `POST /credentials`. */
export interface CredentialIn {
  name: string;
  type: string;
  data: Record<string, unknown>;
  allowed_hosts: string[] | null;
  description?: string;
}

/** `PUT /credentials/{name}`: a secret field left out keeps its stored value. */
export interface CredentialUpdate {
  type?: string;
  data: Record<string, unknown>;
  allowed_hosts: string[] | null;
  description: string;
}

/** A credential type with the JSON Schema of its `data`. */
export interface CredentialTypeInfo {
  type: string;
  title: string;
  description: string;
  schema: JsonSchema;
  secret_fields: string[];
  /** Whether `allowed_hosts` is required (every type that is sent with requests). */
  hosts_required: boolean;
}

export interface CredentialTypeList {
  items: CredentialTypeInfo[];
}

export interface CredentialTestIn {
  url?: string;
}

export interface CredentialTestOut {
  ok: boolean;
  message: string;
  status?: number | null;
}

export interface CredentialConnectOut {
  authorize_url: string;
  /** Where the provider sends the browser back (register it at the provider). */
  redirect_uri: string;
}
