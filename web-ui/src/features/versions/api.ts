import type { VersionList, Workflow, WorkflowVersion } from '../../lib/types';
import { request } from '../../lib/http';

const at = (id: string) => `/api/v1/workflows/${encodeURIComponent(id)}/versions`;

export const versionsApi = {
  list: (id: string) => request<VersionList>(at(id)),
  get: (id: string, version: number) => request<WorkflowVersion>(`${at(id)}/${version}`),
  restore: (id: string, version: number) => request<Workflow>(`${at(id)}/${version}/restore`, { method: 'POST' }),
  /** Sets (or, empty, clears) what a version changed. */
  label: (id: string, version: number, message: string) => request<unknown>(`${at(id)}/${version}`, { method: 'PATCH', body: { message: message.trim() || null } }),
};
