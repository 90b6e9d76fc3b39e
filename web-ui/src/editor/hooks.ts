// The editor's conversations with the server: save, live validation, runs followed over SSE.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { toast } from '../app/toast';
import type { ExecutionEvent, ExecutionStatus, StatusEvent, StepEvent, Workflow, WorkflowDocument } from '../lib/types';
import { patchYaml } from '../lib/yamlPatch';
import { ApiError, isAbort } from '../lib/http';
import { executionsApi } from '../features/executions/api';
import { workflowsApi } from '../features/workflows/api';
import { fromGraph } from './model';
import { lastRunOf, useEditor } from './store';
import { hasPins, sampleData, savedStepIds, usePins } from './pins';

const FINAL: ExecutionStatus[] = ['succeeded', 'failed', 'cancelled'];

/** The document being edited, recomputed when the graph changes. */
export function useDocument(): WorkflowDocument {
  const meta = useEditor((s) => s.meta);
  const nodes = useEditor((s) => s.nodes);
  const edges = useEditor((s) => s.edges);
  return useMemo(() => fromGraph(meta, nodes, edges), [meta, nodes, edges]);
}

export function useDirty(): boolean {
  const doc = useDocument();
  const saved = useEditor((s) => s.savedJson);
  const draft = useEditor((s) => s.mode.kind === 'draft');
  return useMemo(() => draft && JSON.stringify(doc) !== saved, [doc, saved, draft]);
}

let saving = false;

/** Whether the editor holds changes not saved yet (for guards outside the editor). */
export function hasUnsavedChanges(): boolean {
  const s = useEditor.getState();
  if (!s.record) return false;
  const doc = s.mode.kind === 'draft' ? s.document() : s.stash ? fromGraph(s.stash.meta, s.stash.nodes, s.stash.edges) : null;
  return !!doc && JSON.stringify(doc) !== s.savedJson;
}

/** What to save: for a workflow written in YAML, its text with the edit applied in place
 * (comments and layout kept where nothing changed); else, or when that cannot be done, the
 * document. */
async function asWritten(record: Workflow, doc: WorkflowDocument): Promise<WorkflowDocument | string> {
  if (record.source_format !== 'yaml') return doc;
  try {
    const [text, current] = await Promise.all([workflowsApi.getYaml(record.id), workflowsApi.get(record.id)]);
    // Saved elsewhere since it was opened: the text is not what this edit started from.
    if (current.version !== record.version) return doc;
    return patchYaml(text, current.workflow, doc) ?? doc;
  } catch {
    return doc;
  }
}

/** Saves the draft as a new version; server problems go onto the nodes and fields. */
export async function saveDraft(): Promise<boolean> {
  const s = useEditor.getState();
  if (!s.record || s.mode.kind !== 'draft' || saving) return false;
  const doc = s.document();
  saving = true;
  try {
    const saved = await workflowsApi.update(s.record.id, await asWritten(s.record, doc));
    useEditor.getState().setRecord(saved, doc);
    useEditor.getState().setProblems([]);
    useEditor.setState({ draftSavedAt: null });
    toast.success(`Saved as version ${saved.version}.`);
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.problems.length) {
      // Kept as a draft with its problems: the current version runs on until it is valid.
      useEditor.getState().setProblems(e.problems);
      try {
        const draft = await workflowsApi.saveDraft(s.record.id, doc);
        useEditor.getState().setRecord(s.record, doc);
        useEditor.setState({ draftSavedAt: draft.saved_at });
        const n = e.problems.length;
        toast.info(`Saved as a draft with ${n} problem${n > 1 ? 's' : ''}: version ${s.record.version} keeps running until the workflow is valid.`);
      } catch (d) {
        toast.error('Could not save the draft.', d);
      }
      // Not a new version: whatever waited for one (activation) does not go on.
      return false;
    } else {
      toast.error('Could not save the workflow.', e);
    }
    return false;
  } finally {
    saving = false;
  }
}

export function useSave(): { save: () => Promise<boolean>; busy: boolean } {
  const [busy, setBusy] = useState(false);
  const save = useCallback(async () => {
    setBusy(true);
    try {
      return await saveDraft();
    } finally {
      setBusy(false);
    }
  }, []);
  return { save, busy };
}

/** Validates the draft on the server a moment after each change. Quiet when the server is away. */
export function useLiveValidation(doc: WorkflowDocument, enabled: boolean): void {
  const json = useMemo(() => JSON.stringify(doc), [doc]);
  useEffect(() => {
    if (!enabled) return;
    const ac = new AbortController();
    const timer = window.setTimeout(async () => {
      try {
        const result = await workflowsApi.validate(JSON.parse(json) as WorkflowDocument, ac.signal);
        if (!ac.signal.aborted) useEditor.getState().setProblems(result.problems ?? []);
      } catch (e) {
        if (!isAbort(e) && e instanceof ApiError && e.problems.length) useEditor.getState().setProblems(e.problems);
      }
    }, 700);
    return () => {
      window.clearTimeout(timer);
      ac.abort();
    };
  }, [json, enabled]);
}

let stopFollowing: (() => void) | null = null;

async function showWaiting(executionId: string) {
  try {
    const execution = await executionsApi.get(executionId);
    if (useEditor.getState().run?.executionId === executionId && execution.status === 'waiting') useEditor.getState().showExecution(execution);
  } catch {
    // the next event or the final load tells
  }
}

/**
 * Lights the nodes up from the execution's event stream, then loads the full record (inputs,
 * outputs, errors). Falls back to polling when the stream is unavailable; gives up after 10 min.
 */
export function followExecution(executionId: string): void {
  stopFollowing?.();
  const editor = useEditor.getState();
  // An execution already shown (opened from the list) keeps the steps it has.
  if (editor.run?.executionId !== executionId) editor.startRun(executionId);
  let done = false;
  let es: EventSource | null = null;
  let timer: number | undefined;
  const deadline = Date.now() + 10 * 60_000;

  const finish = async () => {
    if (done) return;
    done = true;
    es?.close();
    window.clearTimeout(timer);
    try {
      const execution = await executionsApi.get(executionId);
      if (useEditor.getState().run?.executionId === executionId) useEditor.getState().showExecution(execution);
      if (execution.status === 'failed') toast.error('The execution failed.', execution.error?.message);
    } catch (e) {
      toast.error('Could not load the execution’s result.', e);
    }
  };

  const poll = async () => {
    if (done) return;
    try {
      const execution = await executionsApi.get(executionId);
      if (useEditor.getState().run?.executionId !== executionId) return;
      useEditor.getState().showExecution(execution);
      if (FINAL.includes(execution.status)) return void finish();
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) {
        done = true;
        return toast.error('The execution disappeared.', e);
      }
    }
    if (Date.now() > deadline) {
      done = true;
      useEditor.getState().finishRun('running');
      return toast.error('Stopped watching the execution after 10 minutes; open it from the executions list later.');
    }
    timer = window.setTimeout(poll, 1000);
  };

  try {
    es = new EventSource(executionsApi.eventsUrl(executionId));
    es.addEventListener('step', (e) => {
      try {
        useEditor.getState().applyStepEvent(JSON.parse((e as MessageEvent<string>).data) as StepEvent);
      } catch {
        // a malformed event is skipped; the final record is loaded anyway
      }
    });
    es.addEventListener('status', (e) => {
      try {
        const { status } = JSON.parse((e as MessageEvent<string>).data) as StatusEvent;
        useEditor.getState().finishRun(status);
        // A wait may last days: show what is recorded (its resume URL) and keep listening.
        if (status === 'waiting') void showWaiting(executionId);
      } catch {
        // a malformed event is skipped
      }
    });
    es.addEventListener('execution', (e) => {
      let status: ExecutionStatus | null = null;
      try {
        status = (JSON.parse((e as MessageEvent<string>).data) as ExecutionEvent).status;
        useEditor.getState().finishRun(status);
      } catch {
        // unreadable: load the record to know
      }
      if (!status || FINAL.includes(status)) void finish();
    });
    es.onerror = () => {
      // The stream ended or is not available: poll the record instead.
      es?.close();
      if (!done) void poll();
    };
  } catch {
    void poll();
  }
  stopFollowing = () => {
    done = true;
    es?.close();
    window.clearTimeout(timer);
  };
}

export function stopFollowingExecution(): void {
  stopFollowing?.();
  stopFollowing = null;
}

/** Starts a run of the saved workflow with `body` as the trigger body and follows it. */
export async function runNow(body: unknown): Promise<string | null> {
  const s = useEditor.getState();
  if (!s.record) return null;
  try {
    // With test data pinned, a test run: the pinned steps stand in for their calls.
    const pins = usePins.getState();
    const accepted = hasPins(pins)
      ? await workflowsApi.testRun(s.record.id, { trigger: { ...(pins.trigger ?? {}), body: body ?? {} } })
      : await workflowsApi.run(s.record.id, body);
    followExecution(accepted.execution_id);
    return accepted.execution_id;
  } catch (e) {
    toast.error('Could not start the run.', e);
    return null;
  }
}

/** Runs one step alone (a test run), with its inputs from the pins and the last run. */
export async function runStep(stepId: string): Promise<string | null> {
  const s = useEditor.getState();
  if (!s.record) return null;
  if (hasUnsavedChanges()) {
    if (!(await saveDraft())) return null;
  }
  const data = sampleData(s.lastRun, usePins.getState());
  const steps = { ...(data?.outputs ?? {}) };
  delete steps[stepId];
  // Only the steps of the saved version: a step added since has no output to give.
  const saved = savedStepIds();
  for (const id of Object.keys(steps)) if (!saved.has(id) || steps[id] === undefined) delete steps[id];
  const request = data?.request;
  try {
    const accepted = await workflowsApi.testRun(s.record.id, {
      step: stepId,
      steps,
      trigger: request ? { body: request.body ?? {}, headers: request.headers ?? {}, query: request.query ?? {} } : undefined,
    });
    followExecution(accepted.execution_id);
    return accepted.execution_id;
  } catch (e) {
    toast.error(`Could not run step ${stepId}.`, e);
    return null;
  }
}

/** Loads the data of the workflow's last execution, for template completion. Best effort. */
export async function loadLastRun(workflowId: string): Promise<void> {
  try {
    const list = await executionsApi.list({ workflow_id: workflowId, limit: 5 });
    const last = list.items.find((x) => x.status === 'succeeded' || x.status === 'failed');
    if (!last) return;
    const execution = await executionsApi.get(last.id);
    if (useEditor.getState().record?.id === workflowId && !useEditor.getState().lastRun) {
      useEditor.getState().setLastRun(lastRunOf(execution));
    }
  } catch {
    // completion then offers the paths it knows without real data
  }
}
