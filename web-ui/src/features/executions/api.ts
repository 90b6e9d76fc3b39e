import type { Execution, ExecutionList, ExecutionRecord, ExecutionStatus, RetryFrom, RunAccepted } from '../../generated/api';
import { request } from '../../lib/http';
import { useAuth } from '../auth/hooks';

const base = '/api/v1/executions';
const at = (id: string) => `${base}/${encodeURIComponent(id)}`;

export interface ExecutionQuery {
  workflow_id?: string;
  status?: ExecutionStatus | '';
  since?: string;
  until?: string;
  cursor?: string | null;
  limit?: number;
}

export const executionsApi = {
  list: (q: ExecutionQuery = {}, signal?: AbortSignal) =>
    request<ExecutionList>(base, { query: { ...q, cursor: q.cursor ?? undefined }, signal }),
  get: (id: string, signal?: AbortSignal) => request<Execution>(at(id), { signal }),
  /** The record without steps: cancelled at once when queued, else `cancel_requested`. */
  cancel: (id: string) => request<ExecutionRecord>(`${at(id)}/cancel`, { method: 'POST' }),
  retry: (id: string, from: RetryFrom) => request<RunAccepted>(`${at(id)}/retry`, { method: 'POST', body: { from } }),
  remove: (id: string) => request<null>(at(id), { method: 'DELETE' }),
  /** The SSE stream's address; EventSource cannot send headers, so the key goes in the query. */
  eventsUrl: (id: string) => `${at(id)}/events?access_token=${encodeURIComponent(useAuth.getState().key ?? '')}`,
};
