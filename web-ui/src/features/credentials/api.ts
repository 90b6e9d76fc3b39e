import type { CredentialList, CredentialSummary } from '../../lib/types';
import { request } from '../../lib/http';

export type { CredentialSummary };

export const credentialsApi = {
  list: () => request<CredentialList>('/api/v1/credentials').then((r) => r.items),
};
