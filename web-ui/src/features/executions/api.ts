import type { Execution, ExecutionList, ExecutionStatus, ListExecutionsQuery, RetryFrom, RunAccepted } from '../../lib/types';
import { request } from '../../lib/http';

const base = '/api/v1/executions';
const at = (id: string) => `${base}/${encodeURIComponent(id)}`;

/** `GET /executions`'s query string; the editor's filters also pass `''` (any status) and a
 * `null` cursor (the first page), which are left out of the request. */
export type ExecutionQuery = Omit<ListExecutionsQuery, 'status' | 'cursor'> & {
  status?: ExecutionStatus | '';
  cursor?: string | null;
};

export const executionsApi = {
  list: (q: ExecutionQuery = {}, signal?: AbortSignal) =>
    request<ExecutionList>(base, { query: { ...q, cursor: q.cursor ?? undefined }, signal }),
  get: (id: string, signal?: AbortSignal) => request<Execution>(at(id), { signal }),
  /** The execution: cancelled at once when queued, else `cancel_requested`. */
  cancel: (id: string) => request<Execution>(`${at(id)}/cancel`, { method: 'POST' }),
  /** Runs it again from the start or its failed step, with the version it ran or the current one. */
  retry: (id: string, from: RetryFrom, version: 'original' | 'current' = 'original') =>
    request<RunAccepted>(`${at(id)}/retry`, { method: 'POST', body: { from, version } }),
  remove: (id: string) => request<null>(at(id), { method: 'DELETE' }),
  /** The SSE stream's address; EventSource sends the same-origin session cookie, so no token. */
  eventsUrl: (id: string) => `${at(id)}/events`,
};
