// The editor: top bar, palette, canvas and side panel for one workflow.
import { ReactFlowProvider } from '@xyflow/react';
import { isTyping } from '../app/shortcuts';
import { PanelResizer, usePanelWidth } from './PanelResizer';
import { ArrowLeft, Ban, CircleAlert, Download, LayoutGrid, Redo2, RotateCcw, Save, Undo2 } from 'lucide-react';
import { useCallback, useEffect, useState } from 'react';
import { href, navigate } from '../app/router';
import { toast } from '../app/toast';
import { Button, ErrorState, IconButton, Spinner, StatusPill, Toggle } from '../app/ui';
import { useActions } from '../features/actions/hooks';
import { useEnvironment } from '../features/environment/hooks';
import { executionsApi } from '../features/executions/api';
import { versionsApi } from '../features/versions/api';
import { workflowsApi } from '../features/workflows/api';
import { exportWorkflow } from '../features/workflows/hooks';
import type { Workflow, WorkflowDocument } from '../lib/types';
import { ApiError, describeError } from '../lib/http';
import { useAuth } from '../features/auth/hooks';
import { dateTime, duration, elapsedMs, shortId } from '../lib/format';
import { Canvas } from './Canvas';
import { followExecution, loadLastRun, stopFollowingExecution, useDirty, useDocument, useLiveValidation, useSave } from './hooks';
import { Palette } from './Palette';
import { StepPanel } from './panels/StepPanel';
import { TriggerPanel } from './panels/TriggerPanel';
import { WorkflowPanel, type WorkflowTab } from './panels/WorkflowPanel';
import { selectedNode, useEditor } from './store';
import { usePins } from './pins';
import { isStepNode } from './types';

/** Whether a draft's document reads as a workflow the canvas can draw. */
function openable(document: unknown): boolean {
  if (!document || typeof document !== 'object' || Array.isArray(document)) return false;
  const d = document as Record<string, unknown>;
  const trigger = d.trigger as Record<string, unknown> | undefined;
  if (!trigger || typeof trigger !== 'object' || typeof trigger.type !== 'string') return false;
  if (d.steps === undefined || d.steps === null) return true;
  return Array.isArray(d.steps) && d.steps.every((s) => !!s && typeof s === 'object' && typeof (s as Record<string, unknown>).id === 'string');
}

export function EditorPage({ id, executionId }: { id: string; executionId?: string }) {
  const [state, setState] = useState<{ kind: 'loading' } | { kind: 'error'; message: string } | { kind: 'ready' }>({ kind: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const load = useEditor((s) => s.load);

  useEffect(() => {
    let cancelled = false;
    // The action catalog first: it says which steps branch and into which ports.
    void useEnvironment.getState().load();
    Promise.all([workflowsApi.get(id), workflowsApi.draft(id), useActions.getState().load()]).then(
      ([record, draft]) => {
        if (cancelled) return;
        const opened = !!draft && openable(draft.document);
        try {
          load(record, draft && opened ? { document: draft.document as WorkflowDocument, saved_at: draft.saved_at } : null);
        } catch {
          load(record);
        }
        if (draft && !opened)
          toast.info(`This workflow has a draft the editor cannot show (its document does not read as a workflow); version ${record.version} is shown. Saving replaces the draft.`);
        setState({ kind: 'ready' });
        void loadLastRun(record.id);
        void usePins.getState().load(record.id);
      },
      (e) => !cancelled && setState({ kind: 'error', message: describeError(e) }),
    );
    return () => {
      cancelled = true;
      stopFollowingExecution();
    };
  }, [id, load, attempt]);
  // Leaving the editor (its changes discarded or saved) leaves nothing behind for the sidebar's
  // "Leave without saving?" to ask about.
  useEffect(() => () => useEditor.getState().close(), [id]);

  if (state.kind === 'loading') return <Spinner label="Opening the workflow…" />;
  if (state.kind === 'error')
    return (
      <div className="page">
        <a className="back-link" href={href({ name: 'workflows' })}>
          <ArrowLeft size={14} aria-hidden /> Workflows
        </a>
        <ErrorState title="Could not open the workflow" message={state.message} onRetry={() => setAttempt((a) => a + 1)} />
      </div>
    );
  return (
    <ReactFlowProvider>
      <Editor executionId={executionId} />
    </ReactFlowProvider>
  );
}

function Editor({ executionId }: { executionId?: string }) {
  const record = useEditor((s) => s.record)!;
  const mode = useEditor((s) => s.mode);
  const nodes = useEditor((s) => s.nodes);
  const selected = useEditor(selectedNode);
  const doc = useDocument();
  const dirty = useDirty();
  const { save, busy: saving } = useSave();
  const [tab, setTab] = useState<WorkflowTab>('run');
  useLiveValidation(doc, mode.kind === 'draft');

  // Open the execution named in the address, drawn on the version it ran.
  useEffect(() => {
    if (!executionId) {
      if (useEditor.getState().mode.kind === 'execution') useEditor.getState().backToDraft();
      return;
    }
    let cancelled = false;
    (async () => {
      try {
        const execution = await executionsApi.get(executionId);
        let version = null;
        try {
          version = execution.version !== record.version ? await versionsApi.get(record.id, execution.version) : null;
        } catch {
          toast.info(`Version ${execution.version} is not available: showing the execution on the current version.`);
        }
        if (cancelled) return;
        const s = useEditor.getState();
        const doc = version?.workflow ?? s.record?.workflow ?? s.document();
        s.view(doc, { kind: 'execution', executionId, version: execution.version });
        s.showExecution(execution);
        setTab('executions');
        if (execution.status === 'queued' || execution.status === 'running' || execution.status === 'waiting') followExecution(execution.id);
      } catch (e) {
        if (!cancelled) toast.error('Could not open the execution.', e);
      }
    })();
    return () => {
      cancelled = true;
    };
  }, [executionId, record.id, record.version]);

  // Keyboard: undo/redo, copy/paste, delete, select all, save.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      const s = useEditor.getState();
      if (mod && e.key.toLowerCase() === 's') {
        e.preventDefault();
        if (s.mode.kind === 'draft') void save();
        return;
      }
      if (isTyping(e.target)) return;
      if (mod && e.key.toLowerCase() === 'z') {
        e.preventDefault();
        if (e.shiftKey) s.redo();
        else s.undo();
      } else if (mod && e.key.toLowerCase() === 'y') {
        e.preventDefault();
        s.redo();
      } else if (mod && e.key.toLowerCase() === 'c') {
        const steps = s.copy();
        if (steps.length) toast.info(`Copied ${steps.length} step${steps.length > 1 ? 's' : ''}.`);
      } else if (mod && e.key.toLowerCase() === 'v') {
        s.paste();
      } else if (mod && e.key.toLowerCase() === 'a') {
        e.preventDefault();
        s.selectAll();
      } else if (e.key === 'Delete' || e.key === 'Backspace') {
        e.preventDefault();
        s.deleteSelection();
      } else if (e.key === 'Escape') {
        s.select([]);
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [save]);

  // Warn before leaving with unsaved changes.
  useEffect(() => {
    if (!dirty) return;
    const onUnload = (e: BeforeUnloadEvent) => {
      e.preventDefault();
    };
    window.addEventListener('beforeunload', onUnload);
    return () => window.removeEventListener('beforeunload', onUnload);
  }, [dirty]);

  const [panelWidth, setPanelWidth] = usePanelWidth();
  const panel =
    selected && isStepNode(selected) ? (
      <StepPanel key={selected.id} node={selected} />
    ) : selected?.type === 'trigger' ? (
      <TriggerPanel />
    ) : (
      <WorkflowPanel tab={tab} onTab={setTab} />
    );

  return (
    <div className="editor" data-testid="editor">
      <Topbar record={record} dirty={dirty} saving={saving} onSave={save} />
      {mode.kind !== 'draft' && <ViewBanner />}
      <div className="editor__body">
        <Palette />
        <div className="editor__canvas">
          <Canvas />
          {nodes.length <= 1 && mode.kind === 'draft' && (
            <div className="canvas-hint" role="note">
              <strong>Start building</strong>
              <span>Click an action on the left to add it after the trigger, or drag it onto the canvas.</span>
            </div>
          )}
        </div>
        <PanelResizer width={panelWidth} onChange={setPanelWidth} />
        <div className="editor__panel" style={{ width: panelWidth }} data-testid="editor-panel">
          {panel}
        </div>
      </div>
    </div>
  );
}

function Topbar({ record, dirty, saving, onSave }: { record: Workflow; dirty: boolean; saving: boolean; onSave: () => Promise<boolean> }) {
  const name = useEditor((s) => s.meta.name);
  const updateMeta = useEditor((s) => s.updateMeta);
  const canUndo = useEditor((s) => s.past.length > 0 && s.mode.kind === 'draft');
  const canRedo = useEditor((s) => s.future.length > 0 && s.mode.kind === 'draft');
  const undo = useEditor((s) => s.undo);
  const redo = useEditor((s) => s.redo);
  const layout = useEditor((s) => s.layout);
  const problems = useEditor((s) => s.problems.length);
  const readOnly = useEditor((s) => s.mode.kind !== 'draft');
  const setRecord = useEditor((s) => s.setRecord);
  const draftSavedAt = useEditor((s) => s.draftSavedAt);
  const readKey = useAuth((s) => s.session?.scope === 'read');
  const [toggling, setToggling] = useState(false);

  async function discardDraft() {
    if (!window.confirm(`Discard the draft? The editor goes back to version ${record.version}.`)) return;
    try {
      // Gone already (a valid save elsewhere replaced it): nothing left to discard.
      await workflowsApi.discardDraft(record.id).catch((e) => {
        if (!(e instanceof ApiError && e.status === 404)) throw e;
      });
      const current = await workflowsApi.get(record.id);
      useEditor.getState().load(current);
      toast.success(`Draft discarded: back to version ${current.version}.`);
    } catch (e) {
      toast.error('Could not discard the draft.', e);
    }
  }

  const back = useCallback(() => {
    if (dirty && !window.confirm('Leave without saving? Your changes will be lost.')) return;
    navigate({ name: 'workflows' });
  }, [dirty]);

  async function setActive(active: boolean) {
    setToggling(true);
    try {
      // A draft is not what activation serves: it must become a valid version first.
      if (active && (dirty || draftSavedAt) && !(await onSave())) return;
      const updated = active ? await workflowsApi.activate(record.id) : await workflowsApi.deactivate(record.id);
      setRecord(updated);
      toast.success(active ? 'Active: the production webhook URL now answers.' : 'Inactive: the production webhook URL no longer answers.');
    } catch (e) {
      toast.error(active ? 'Could not activate the workflow.' : 'Could not deactivate the workflow.', e);
    } finally {
      setToggling(false);
    }
  }

  return (
    <header className="topbar">
      <IconButton icon={ArrowLeft} label="Back to workflows" onClick={back} data-testid="back" />
      <input
        className="topbar__name"
        value={name}
        aria-label="Workflow name"
        readOnly={readOnly}
        data-testid="editor-name"
        onChange={(e) => updateMeta((m) => ({ ...m, name: e.target.value }), 'name')}
      />
      <span className={`save-state${dirty ? ' is-dirty' : ''}`} data-testid="save-state" title={draftSavedAt ? `A draft with problems, saved ${dateTime(draftSavedAt)}; version ${record.version} is the one that runs` : undefined}>
        {dirty ? 'Unsaved changes' : draftSavedAt ? `Draft saved · v${record.version} runs` : `Saved · v${record.version}`}
      </span>
      {draftSavedAt && !readOnly && !readKey && (
        <Button size="sm" onClick={() => void discardDraft()} data-testid="discard-draft">
          Discard draft
        </Button>
      )}
      {problems > 0 && (
        <span className="problem-count" title="Problems found by validation" data-testid="problem-count">
          <CircleAlert size={14} aria-hidden /> {problems} problem{problems > 1 ? 's' : ''}
        </span>
      )}
      <span className="topbar__spacer" />
      <div className="topbar__group" role="group" aria-label="Edit">
        <IconButton icon={Undo2} label="Undo (Ctrl+Z)" disabled={!canUndo} onClick={undo} data-testid="undo" />
        <IconButton icon={Redo2} label="Redo (Ctrl+Shift+Z)" disabled={!canRedo} onClick={redo} data-testid="redo" />
        <IconButton icon={LayoutGrid} label="Auto-layout" onClick={layout} data-testid="auto-layout" />
        <IconButton icon={Download} label="Export YAML" onClick={() => void exportWorkflow(record.id, record.name)} data-testid="editor-export" />
      </div>
      <label className="topbar__active">
        <Toggle checked={record.active} onChange={(v) => void setActive(v)} disabled={toggling || readOnly} label={record.active ? 'Deactivate workflow' : 'Activate workflow'} testId="editor-active" />
        <span>{record.active ? 'Active' : 'Inactive'}</span>
      </label>
      <Button variant="primary" icon={Save} onClick={() => void onSave()} busy={saving} disabled={readOnly || !dirty} data-testid="save">
        Save
      </Button>
    </header>
  );
}

function ViewBanner() {
  const mode = useEditor((s) => s.mode);
  const run = useEditor((s) => s.run);
  const record = useEditor((s) => s.record)!;
  const backToDraft = useEditor((s) => s.backToDraft);
  const [busy, setBusy] = useState<string | null>(null);
  const took = elapsedMs(run?.execution?.started_at, run?.execution?.finished_at);
  // A version saved since the run (a fix, usually): retry with it unless told otherwise.
  const changed = mode.kind === 'execution' && mode.version !== record.version;
  const [version, setVersion] = useState<'original' | 'current'>('current');
  const retryVersion = changed ? version : 'original';

  async function retry(from: 'start' | 'failed_step') {
    if (mode.kind !== 'execution') return;
    setBusy(from);
    try {
      const accepted = await executionsApi.retry(mode.executionId, from, retryVersion);
      toast.info(`Retrying as execution ${shortId(accepted.execution_id)}.`);
      navigate({ name: 'editor', id: record.id, executionId: accepted.execution_id });
    } catch (e) {
      toast.error('Could not retry the execution.', e);
    } finally {
      setBusy(null);
    }
  }

  async function cancel(executionId: string) {
    setBusy('cancel');
    try {
      const cancelled = await executionsApi.cancel(executionId);
      if (cancelled.status === 'cancelled') {
        // It had not started: nothing more will happen.
        useEditor.getState().showExecution(await executionsApi.get(executionId));
        toast.info('Execution cancelled.');
      } else {
        // It runs: its worker stops it, and the event stream shows the end.
        followExecution(executionId);
        toast.info('Cancelling: the execution stops at its current step.');
      }
    } catch (e) {
      toast.error('Could not cancel the execution.', e);
    } finally {
      setBusy(null);
    }
  }

  const leave = () => {
    if (mode.kind === 'execution') navigate({ name: 'editor', id: record.id });
    else backToDraft();
  };

  return (
    <div className="view-banner" role="status" data-testid="view-banner">
      {mode.kind === 'version' && (
        <span>
          Viewing <strong>version {mode.version}</strong> — read-only.
        </span>
      )}
      {mode.kind === 'execution' && (
        <span className="row gap-sm">
          Execution <code>{shortId(mode.executionId)}</code>
          {run && <StatusPill status={run.status} />}
          <span className="muted">
            on version {mode.version}
            {took !== null ? ` · ${duration(took)}` : ''}
          </span>
        </span>
      )}
      <span className="topbar__spacer" />
      {mode.kind === 'execution' && run && (run.status === 'running' || run.status === 'queued' || run.status === 'waiting') && (
        <Button size="sm" icon={Ban} onClick={() => void cancel(mode.executionId)} busy={busy === 'cancel'} data-testid="cancel-execution">
          Cancel
        </Button>
      )}
      {mode.kind === 'execution' && run && run.status !== 'running' && run.status !== 'queued' && run.status !== 'waiting' && (
        <>
          {changed && (
            <select className="view-banner__select" aria-label="Retry with which version" value={version} onChange={(e) => setVersion(e.target.value as 'original' | 'current')} data-testid="retry-version">
              <option value="current">with the current version ({record.version})</option>
              <option value="original">with the version it ran ({mode.version})</option>
            </select>
          )}
          <Button size="sm" icon={RotateCcw} onClick={() => void retry('start')} busy={busy === 'start'} data-testid="retry-start">
            Retry
          </Button>
          {run.status === 'failed' && (
            <Button size="sm" icon={RotateCcw} onClick={() => void retry('failed_step')} busy={busy === 'failed_step'} data-testid="retry-failed">
              Retry from failed step
            </Button>
          )}
        </>
      )}
      <Button size="sm" variant="primary" onClick={leave} data-testid="back-to-draft">
        Back to the editor
      </Button>
    </div>
  );
}
