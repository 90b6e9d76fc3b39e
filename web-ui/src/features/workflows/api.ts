import type { Draft, Pins, PinsIn, RenderIn, RenderOut, RunAccepted, TestRunIn, ScheduleOut, TestEvent, ValidationResult, Workflow, WorkflowDocument, WorkflowList } from '../../lib/types';
import { ApiError, request } from '../../lib/http';

const base = '/api/v1/workflows';
const at = (id: string) => `${base}/${encodeURIComponent(id)}`;

export const workflowsApi = {
  list: () => request<WorkflowList>(base),
  /** When a schedule would run (the server's rules: time zone, daylight saving time). */
  previewSchedule: (cron: string, timezone: string | null | undefined, signal?: AbortSignal) =>
    request<ScheduleOut>('/api/v1/schedules/preview', { query: { cron, timezone: timezone ?? undefined, count: 5 }, signal }),
  get: (id: string) => request<Workflow>(at(id)),
  getYaml: (id: string) => request<string>(at(id), { accept: 'yaml' }),
  /** Creates from a document, or from YAML text. */
  create: (doc: WorkflowDocument | string) =>
    request<Workflow>(base, { method: 'POST', body: doc, yaml: typeof doc === 'string' }),
  update: (id: string, doc: WorkflowDocument | string) =>
    request<Workflow>(at(id), { method: 'PUT', body: doc, yaml: typeof doc === 'string' }),
  remove: (id: string) => request<null>(at(id), { method: 'DELETE' }),
  /** The workflow's draft (work in progress kept with its problems), or null when it has none. */
  draft: async (id: string): Promise<Draft | null> => {
    try {
      return await request<Draft>(`${at(id)}/draft`);
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return null;
      throw e;
    }
  },
  /** Keeps a draft: a document, or YAML text (problems allowed). */
  saveDraft: (id: string, doc: WorkflowDocument | string) => request<Draft>(`${at(id)}/draft`, { method: 'PUT', body: doc, yaml: typeof doc === 'string' }),
  discardDraft: (id: string) => request<null>(`${at(id)}/draft`, { method: 'DELETE' }),
  validate: (doc: WorkflowDocument | string, signal?: AbortSignal) =>
    request<ValidationResult>(`${base}/validate`, { method: 'POST', body: doc, yaml: typeof doc === 'string', signal }),
  activate: (id: string) => request<Workflow>(`${at(id)}/activate`, { method: 'POST' }),
  deactivate: (id: string) => request<Workflow>(`${at(id)}/deactivate`, { method: 'POST' }),
  run: (id: string, body: unknown) => request<RunAccepted>(`${at(id)}/run`, { method: 'POST', body }),
  /** A test run: pinned steps stand in for calls; with `step`, only that step runs. */
  testRun: (id: string, body: TestRunIn) => request<RunAccepted>(`${at(id)}/test-run`, { method: 'POST', body }),
  /** The workflow's test data (pinned trigger event and step outputs). */
  pins: (id: string) => request<Pins>(`${at(id)}/pins`),
  savePins: (id: string, body: PinsIn) => request<Pins>(`${at(id)}/pins`, { method: 'PUT', body }),
  /** What templates render to against sample data, each on its own. */
  render: (body: RenderIn, signal?: AbortSignal) => request<RenderOut>('/api/v1/templates/render', { method: 'POST', body, signal }),
  /** Long-poll for one call to the test URL; `null` when none came in time. */
  testEvent: (id: string, timeout: number, signal?: AbortSignal) =>
    request<TestEvent | null>(`${at(id)}/test-event`, { query: { timeout }, signal }),
};
