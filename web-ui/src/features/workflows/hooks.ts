import { useCallback } from 'react';
import { toast } from '../../app/toast';
import type { Workflow, WorkflowList, WorkflowSummary } from '../../lib/types';
import { downloadText, slug } from '../../lib/format';
import { useAsync } from '../../lib/useAsync';
import { workflowsApi } from './api';

export function useWorkflowList() {
  const load = useCallback(() => workflowsApi.list(), []);
  return useAsync<WorkflowList>(load);
}

/** The summary row of a full workflow record (after a create or an update). */
export function summaryOf(w: Workflow, previous?: WorkflowSummary): WorkflowSummary {
  const t = w.workflow.trigger;
  return {
    id: w.id,
    name: w.name,
    description: w.description,
    active: w.active,
    version: w.version,
    created_at: w.created_at,
    updated_at: w.updated_at,
    last_execution: previous?.last_execution ?? null,
    trigger: { type: t.type, path: t.type === 'webhook' ? t.path : null },
  };
}

export async function exportWorkflow(id: string, name: string): Promise<void> {
  try {
    const text = await workflowsApi.getYaml(id);
    downloadText(`${slug(name)}.yaml`, text);
  } catch (e) {
    toast.error(`Could not export “${name}”.`, e);
  }
}
