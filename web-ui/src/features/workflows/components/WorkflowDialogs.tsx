import { useState, type FormEvent } from 'react';
import { toast } from '../../../app/toast';
import { Button, Field, Modal } from '../../../app/ui';
import type { Trigger, Workflow, WorkflowSummary } from '../../../lib/types';
import { ApiError, describeError } from '../../../lib/http';
import { slug } from '../../../lib/format';
import { workflowsApi } from '../api';
import { ProblemList } from './ProblemList';

export function NewWorkflowDialog({ taken, onClose, onCreated }: { taken: string[]; onClose: () => void; onCreated: (w: Workflow) => void }) {
  const [name, setName] = useState('');
  const [type, setType] = useState<Trigger['type']>('webhook');
  const [path, setPath] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [problems, setProblems] = useState<ApiError['problems']>([]);
  const [busy, setBusy] = useState(false);
  const suggested = (() => {
    const base = slug(name || 'my-workflow');
    let p = base;
    for (let i = 2; taken.includes(p); i++) p = `${base}-${i}`;
    return p;
  })();

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return setError('Give the workflow a name.');
    const trigger: Trigger =
      type === 'webhook' ? { type, path: path.trim() || suggested } : type === 'schedule' ? { type, cron: '0 * * * *' } : { type };
    setBusy(true);
    setError(null);
    try {
      const created = await workflowsApi.create({ name: name.trim(), trigger });
      toast.success(`Created “${created.name}”.`);
      onCreated(created);
    } catch (err) {
      setError(describeError(err));
      if (err instanceof ApiError) setProblems(err.problems);
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      title="New workflow"
      onClose={onClose}
      testId="new-workflow-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="new-workflow-form" busy={busy} data-testid="create-workflow">
            Create and open
          </Button>
        </>
      }
    >
      <form id="new-workflow-form" onSubmit={submit} className="stack">
        <Field label="Name" htmlFor="wf-name" required>
          <input id="wf-name" value={name} onChange={(e) => setName(e.target.value)} placeholder="New customer to CRM" data-testid="workflow-name-input" />
        </Field>
        <Field label="Trigger" htmlFor="wf-trigger">
          <select id="wf-trigger" value={type} onChange={(e) => setType(e.target.value as Trigger['type'])} data-testid="workflow-trigger-select">
            <option value="webhook">Webhook — an HTTP call starts it</option>
            <option value="manual">Manual — run by hand or through the API</option>
            <option value="schedule">Schedule — a cron expression</option>
          </select>
        </Field>
        {type === 'webhook' && (
          <Field label="Webhook path" htmlFor="wf-path" hint={<>Served at <code>/hooks/{path.trim() || suggested}</code></>}>
            <input id="wf-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder={suggested} data-testid="workflow-path-input" />
          </Field>
        )}
        {error && (
          <p className="field__error" role="alert">
            {error}
          </p>
        )}
        <ProblemList problems={problems} />
      </form>
    </Modal>
  );
}

export function RenameDialog({ workflow, onClose, onRenamed }: { workflow: WorkflowSummary; onClose: () => void; onRenamed: (w: Workflow) => void }) {
  const [name, setName] = useState(workflow.name);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!name.trim()) return setError('A workflow needs a name.');
    setBusy(true);
    try {
      const full = await workflowsApi.get(workflow.id);
      const updated = await workflowsApi.update(workflow.id, { ...full.workflow, name: name.trim() });
      toast.success(`Renamed to “${updated.name}”.`);
      onRenamed(updated);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      title="Rename workflow"
      onClose={onClose}
      testId="rename-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" type="submit" form="rename-form" busy={busy} data-testid="rename-save">
            Rename
          </Button>
        </>
      }
    >
      <form id="rename-form" onSubmit={submit}>
        <Field label="Name" htmlFor="rename-name" error={error ?? undefined}>
          <input id="rename-name" value={name} onChange={(e) => setName(e.target.value)} data-testid="rename-input" />
        </Field>
      </form>
    </Modal>
  );
}
