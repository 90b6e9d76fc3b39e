import { Copy, Download, FileUp, LayoutTemplate, Pencil, Plus, Search, Trash2, Workflow as WorkflowIcon } from 'lucide-react';
import { useMemo, useState } from 'react';
import { href, navigate } from '../../../app/router';
import { toast } from '../../../app/toast';
import { Button, ConfirmDialog, EmptyState, ErrorState, IconButton, Spinner, StatusPill, Toggle } from '../../../app/ui';
import type { WorkflowDocument, WorkflowSummary } from '../../../lib/types';
import { relativeTime } from '../../../lib/format';
import { triggerMeta } from '../../../nodes/actions';
import { workflowsApi } from '../api';
import { exportWorkflow, summaryOf, useWorkflowList } from '../hooks';
import { TemplatesDialog } from '../../templates/components/TemplatesDialog';
import { ImportDialog } from './ImportDialog';
import { NewWorkflowDialog, RenameDialog } from './WorkflowDialogs';

type Dialog =
  | { kind: 'new' }
  | { kind: 'import' }
  | { kind: 'templates' }
  | { kind: 'rename'; workflow: WorkflowSummary }
  | { kind: 'delete'; workflow: WorkflowSummary }
  | null;

export function WorkflowsPage() {
  const list = useWorkflowList();
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState<Dialog>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const items = list.data?.items;

  const shown = useMemo(() => {
    const q = query.trim().toLowerCase();
    const all = [...(items ?? [])].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
    if (!q) return all;
    return all.filter((w) => `${w.name} ${w.description ?? ''} ${w.trigger.path ?? ''}`.toLowerCase().includes(q));
  }, [items, query]);

  const replace = (row: WorkflowSummary) =>
    list.setData((d) => d && { ...d, items: d.items.map((w) => (w.id === row.id ? row : w)) });

  async function setActive(w: WorkflowSummary, active: boolean) {
    setBusy(w.id);
    try {
      const updated = active ? await workflowsApi.activate(w.id) : await workflowsApi.deactivate(w.id);
      replace(summaryOf(updated, w));
      toast.success(active ? `“${w.name}” is active: its webhook now answers.` : `“${w.name}” is inactive.`);
    } catch (e) {
      toast.error(active ? `Could not activate “${w.name}”.` : `Could not deactivate “${w.name}”.`, e);
    } finally {
      setBusy(null);
    }
  }

  async function duplicate(w: WorkflowSummary) {
    setBusy(w.id);
    try {
      const full = await workflowsApi.get(w.id);
      const doc: WorkflowDocument = structuredClone(full.workflow);
      doc.name = `${doc.name} (copy)`;
      if (doc.trigger.type === 'webhook') {
        const taken = new Set((items ?? []).map((x) => x.trigger.path));
        let path = `${doc.trigger.path}-copy`;
        for (let i = 2; taken.has(path); i++) path = `${doc.trigger.path}-copy-${i}`;
        doc.trigger = { ...doc.trigger, path };
      }
      const created = await workflowsApi.create(doc);
      list.setData((d) => d && { ...d, items: [summaryOf(created), ...d.items] });
      toast.success(`Duplicated as “${created.name}”.`);
    } catch (e) {
      toast.error(`Could not duplicate “${w.name}”.`, e);
    } finally {
      setBusy(null);
    }
  }

  async function remove(w: WorkflowSummary) {
    setBusy(w.id);
    try {
      await workflowsApi.remove(w.id);
      list.setData((d) => d && { ...d, items: d.items.filter((x) => x.id !== w.id) });
      toast.success(`Deleted “${w.name}”.`);
      setDialog(null);
    } catch (e) {
      toast.error(`Could not delete “${w.name}”.`, e);
    } finally {
      setBusy(null);
    }
  }

  return (
    <div className="page" data-testid="workflows-page">
      <header className="page__header">
        <div>
          <h1>Workflows</h1>
          <p className="muted">A trigger and the steps it starts. Open one to edit it on the canvas.</p>
        </div>
        <div className="page__actions">
          <Button icon={LayoutTemplate} onClick={() => setDialog({ kind: 'templates' })} data-testid="templates-open">
            Templates
          </Button>
          <Button icon={FileUp} onClick={() => setDialog({ kind: 'import' })} data-testid="import-open">
            Import YAML
          </Button>
          <Button variant="primary" icon={Plus} onClick={() => setDialog({ kind: 'new' })} data-testid="new-workflow">
            New workflow
          </Button>
        </div>
      </header>

      <div className="toolbar">
        <div className="search">
          <Search size={16} aria-hidden />
          <input
            type="search"
            placeholder="Search by name, description or path"
            aria-label="Search workflows"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            data-testid="workflow-search"
          />
        </div>
        {items && items.length > 0 && <span className="muted small">{shown.length === items.length ? `${items.length} workflows` : `${shown.length} of ${items.length}`}</span>}
      </div>

      {list.error && !items ? (
        <ErrorState title="Could not load the workflows" message={list.error} onRetry={list.reload} />
      ) : !items ? (
        <Spinner label="Loading workflows…" />
      ) : items.length === 0 ? (
        <EmptyState
          icon={WorkflowIcon}
          title="No workflows yet"
          action={
            <div className="row gap">
              <Button icon={FileUp} onClick={() => setDialog({ kind: 'import' })}>
                Import YAML
              </Button>
              <Button variant="primary" icon={Plus} onClick={() => setDialog({ kind: 'new' })}>
                New workflow
              </Button>
            </div>
          }
        >
          Create one from scratch on the canvas, or import a YAML file such as those in <code>workflows-examples/</code>.
        </EmptyState>
      ) : shown.length === 0 ? (
        <EmptyState icon={Search} title="No workflow matches">
          Nothing matches “{query}”.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <table className="table workflow-table" data-testid="workflow-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Trigger</th>
                <th>Active</th>
                <th>Last execution</th>
                <th>Updated</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {shown.map((w) => {
                const tm = triggerMeta(w.trigger.type);
                return (
                  <tr key={w.id} data-testid={`workflow-row-${w.id}`} data-name={w.name}>
                    <td className="table__name">
                      <a href={href({ name: 'editor', id: w.id })} data-testid="workflow-link">
                        {w.name}
                      </a>
                      {w.description && <span className="muted small ellipsis">{w.description}</span>}
                    </td>
                    <td>
                      <span className="trigger-chip" title={w.trigger.type === 'webhook' ? `/hooks/${w.trigger.path ?? ''}` : tm.title}>
                        <tm.icon size={14} aria-hidden />
                        <span className="trigger-chip__text">{w.trigger.type === 'webhook' ? `/hooks/${w.trigger.path ?? ''}` : tm.title}</span>
                      </span>
                    </td>
                    <td>
                      <Toggle
                        checked={w.active}
                        disabled={busy === w.id}
                        label={w.active ? `Deactivate ${w.name}` : `Activate ${w.name}`}
                        onChange={(v) => void setActive(w, v)}
                        testId="active-toggle"
                      />
                    </td>
                    <td>
                      {w.last_execution ? (
                        <a className="row gap-sm" href={href({ name: 'editor', id: w.id, executionId: w.last_execution.id })}>
                          <StatusPill status={w.last_execution.status} />
                          <span className="muted small">{relativeTime(w.last_execution.created_at)}</span>
                        </a>
                      ) : (
                        <span className="muted small">Never run</span>
                      )}
                    </td>
                    <td className="muted small" title={w.updated_at}>
                      {relativeTime(w.updated_at)} · v{w.version}
                    </td>
                    <td className="table__actions">
                      <IconButton icon={Pencil} label={`Rename ${w.name}`} onClick={() => setDialog({ kind: 'rename', workflow: w })} data-testid="rename" />
                      <IconButton icon={Copy} label={`Duplicate ${w.name}`} disabled={busy === w.id} onClick={() => void duplicate(w)} data-testid="duplicate" />
                      <IconButton icon={Download} label={`Export ${w.name} as YAML`} onClick={() => void exportWorkflow(w.id, w.name)} data-testid="export" />
                      <IconButton icon={Trash2} label={`Delete ${w.name}`} variant="danger" onClick={() => setDialog({ kind: 'delete', workflow: w })} data-testid="delete" />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}

      {dialog?.kind === 'new' && (
        <NewWorkflowDialog
          taken={(items ?? []).map((w) => w.trigger.path ?? '')}
          onClose={() => setDialog(null)}
          onCreated={(w) => navigate({ name: 'editor', id: w.id })}
        />
      )}
      {dialog?.kind === 'templates' && (
        <TemplatesDialog taken={(items ?? []).map((w) => w.name)} onClose={() => setDialog(null)} onCreated={(w) => navigate({ name: 'editor', id: w.id })} />
      )}
      {dialog?.kind === 'import' && (
        <ImportDialog onClose={() => setDialog(null)} onImported={(w) => navigate({ name: 'editor', id: w.id })} />
      )}
      {dialog?.kind === 'rename' && (
        <RenameDialog
          workflow={dialog.workflow}
          onClose={() => setDialog(null)}
          onRenamed={(w) => {
            replace(summaryOf(w, dialog.workflow));
            setDialog(null);
          }}
        />
      )}
      {dialog?.kind === 'delete' && (
        <ConfirmDialog
          title="Delete this workflow?"
          message={
            <>
              “{dialog.workflow.name}” and its versions will be deleted{dialog.workflow.active ? ', and its webhook will stop answering' : ''}. This cannot be undone.
            </>
          }
          confirm="Delete"
          busy={busy === dialog.workflow.id}
          onConfirm={() => void remove(dialog.workflow)}
          onClose={() => setDialog(null)}
        />
      )}
    </div>
  );
}
