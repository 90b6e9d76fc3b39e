import { request } from '../../lib/http';
import type {
  CredentialConnect,
  CredentialIn,
  CredentialList,
  Credential,
  CredentialTestResult,
  CredentialTypeList,
  CredentialUpdate,
} from '../../lib/types';

export type { Credential };

const base = '/api/v1/credentials';
const at = (name: string) => `${base}/${encodeURIComponent(name)}`;

export const credentialsApi = {
  list: (signal?: AbortSignal) => request<CredentialList>(base, { signal }).then((r) => r.items),
  types: () => request<CredentialTypeList>('/api/v1/credential-types').then((r) => r.items),
  get: (name: string, signal?: AbortSignal) => request<Credential>(at(name), { signal }),
  create: (body: CredentialIn) => request<Credential>(base, { method: 'POST', body }),
  update: (name: string, body: CredentialUpdate) => request<Credential>(at(name), { method: 'PUT', body }),
  /** Refused (409, `details.workflows`) while workflows name it. */
  remove: (name: string) => request<null>(at(name), { method: 'DELETE' }),
  /** Tries it against a URL (by default one of its hosts). */
  test: (name: string, url?: string) => request<CredentialTestResult>(`${at(name)}/test`, { method: 'POST', body: url ? { url } : {} }),
  /** Where to send the browser to connect an OAuth2 authorization-code credential. */
  connect: (name: string) => request<CredentialConnect>(`${at(name)}/connect`, { method: 'POST' }),
};
