import { request } from '../../lib/http';

/** A credential as the server lists it: a name and a type, never the secret. */
export interface CredentialSummary {
  name: string;
  type: 'bearer' | 'basic' | 'api_key' | 'secret';
}

export const credentialsApi = {
  list: () => request<{ items: CredentialSummary[] }>('/api/v1/credentials').then((r) => r.items),
};
