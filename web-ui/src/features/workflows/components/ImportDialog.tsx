import { FileUp } from 'lucide-react';
import { useRef, useState } from 'react';
import { parseDocument } from 'yaml';
import { toast } from '../../../app/toast';
import { Button, Modal, Tabs } from '../../../app/ui';
import type { Problem, Workflow } from '../../../lib/types';
import { ApiError, describeError } from '../../../lib/http';
import { workflowsApi } from '../api';
import { ProblemList } from './ProblemList';

/** The document's `name`, when it has a plain one. */
export function documentName(text: string): string | null {
  const name = parseDocument(text, { prettyErrors: false }).get('name');
  return typeof name === 'string' && name.trim() ? name.trim() : null;
}

/** YAML syntax errors, located, before anything is sent. */
export function yamlProblems(text: string): Problem[] {
  const doc = parseDocument(text, { prettyErrors: false });
  return doc.errors.map((e) => ({
    path: '',
    message: e.message.split('\n')[0],
    location: e.linePos ? { line: e.linePos[0].line, column: e.linePos[0].col } : null,
  }));
}

export function ImportDialog({ onClose, onImported }: { onClose: () => void; onImported: (w: Workflow) => void }) {
  const [tab, setTab] = useState<'upload' | 'paste'>('upload');
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState<string | null>(null);
  const [problems, setProblems] = useState<Problem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const area = useRef<HTMLTextAreaElement>(null);

  async function readFile(file: File) {
    setFileName(file.name);
    setText(await file.text());
    setProblems([]);
    setError(null);
    setTab('paste');
  }

  async function submit() {
    setError(null);
    if (!text.trim()) return setError('Paste a workflow or choose a file first.');
    const syntax = yamlProblems(text);
    if (syntax.length) {
      setProblems(syntax);
      return setError('The YAML cannot be read.');
    }
    setBusy(true);
    try {
      // One rule with `weft import`: a workflow of the same name gets a new version.
      const name = documentName(text);
      const existing = name ? (await workflowsApi.list()).items.find((w) => w.name === name) : undefined;
      if (existing) {
        const updated = await workflowsApi.update(existing.id, text);
        toast.success(`Updated “${updated.name}”: version ${updated.version}.`);
        onImported(updated);
      } else {
        const created = await workflowsApi.create(text);
        toast.success(`Imported “${created.name}”.`);
        onImported(created);
      }
    } catch (e) {
      setError(e instanceof ApiError && e.problems.length ? 'The workflow is not valid:' : describeError(e));
      setProblems(e instanceof ApiError ? e.problems : []);
    } finally {
      setBusy(false);
    }
  }

  /** With problems, the text is kept as a draft: of the workflow of that name, or of a new
   * one whose version 1 is empty (nothing runs until a valid save). */
  async function importAsDraft() {
    setBusy(true);
    try {
      const name = documentName(text) ?? fileName?.replace(/\.(ya?ml|json)$/i, '') ?? 'Imported workflow';
      const existing = (await workflowsApi.list()).items.find((w) => w.name === name);
      const workflow = existing ?? (await workflowsApi.create({ name, trigger: { type: 'manual' }, steps: [] }));
      await workflowsApi.saveDraft(workflow.id, text);
      const n = problems.length;
      toast.info(
        existing
          ? `Kept as a draft of “${name}” with ${n} problem${n === 1 ? '' : 's'}: version ${existing.version} runs on until the workflow is valid.`
          : `Imported “${name}” as a draft with ${n} problem${n === 1 ? '' : 's'}: fix them in the editor, then save.`,
      );
      onImported(existing ? ((await workflowsApi.get(existing.id)) as Workflow) : (workflow as Workflow));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  /** Puts the cursor on a problem's line and column. */
  function focusProblem(p: Problem) {
    const ta = area.current;
    if (!ta || !p.location) return;
    const lines = text.split('\n');
    let offset = 0;
    for (let i = 0; i < p.location.line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    offset += Math.max(0, p.location.column - 1);
    setTab('paste');
    window.requestAnimationFrame(() => {
      ta.focus();
      ta.setSelectionRange(offset, offset + 1);
      const lineHeight = parseFloat(getComputedStyle(ta).lineHeight) || 18;
      ta.scrollTop = Math.max(0, (p.location!.line - 3) * lineHeight);
    });
  }

  return (
    <Modal
      title="Import a workflow"
      onClose={onClose}
      wide
      testId="import-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={() => void submit()} busy={busy} data-testid="import-submit">
            Import
          </Button>
        </>
      }
    >
      <p className="muted small" data-testid="import-rule">
        A workflow with the same name gets a new version (as <code>weft import</code> does); otherwise a new workflow is created.
      </p>
      <Tabs
        label="Import from"
        value={tab}
        onChange={setTab}
        tabs={[
          { id: 'upload', label: 'Upload a file' },
          { id: 'paste', label: 'Paste YAML' },
        ]}
      />
      {tab === 'upload' ? (
        <label className="dropzone" onDragOver={(e) => e.preventDefault()} onDrop={(e) => {
          e.preventDefault();
          const f = e.dataTransfer.files[0];
          if (f) void readFile(f);
        }}>
          <FileUp size={26} aria-hidden />
          <strong>{fileName ?? 'Choose a .yaml file'}</strong>
          <span className="muted small">or drop it here</span>
          <input
            type="file"
            accept=".yaml,.yml,.json,application/yaml,text/yaml,application/json"
            className="visually-hidden"
            data-testid="import-file"
            onChange={(e) => {
              const f = e.target.files?.[0];
              if (f) void readFile(f);
            }}
          />
        </label>
      ) : (
        <textarea
          ref={area}
          className="code-area"
          rows={16}
          spellCheck={false}
          aria-label="Workflow YAML"
          placeholder={'name: My workflow\ntrigger:\n  type: webhook\n  path: my-hook\nsteps:\n  - id: call\n    action: http\n    with:\n      url: https://example.com'}
          value={text}
          onChange={(e) => setText(e.target.value)}
          data-testid="import-text"
        />
      )}
      {error && (
        <p className="field__error" role="alert" data-testid="import-error">
          {error}
        </p>
      )}
      <ProblemList problems={problems} onPick={focusProblem} />
      {problems.length > 0 && error === 'The workflow is not valid:' && (
        <div className="row gap-sm">
          <Button onClick={() => void importAsDraft()} busy={busy} data-testid="import-as-draft">
            Import as a draft
          </Button>
          <span className="muted small">Fix the problems in the editor; nothing runs until it is valid.</span>
        </div>
      )}
    </Modal>
  );
}
