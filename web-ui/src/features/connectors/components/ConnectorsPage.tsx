// Connectors: OpenAPI documents imported as actions, one per operation. Import (a file, a name,
// a base URL), re-import (a new version), delete (refused while a workflow uses it).
import { Plug, RefreshCw, Trash2, Upload } from 'lucide-react';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Button, ConfirmDialog, EmptyState, ErrorState, Field, IconButton, Spinner } from '../../../app/ui';
import { toast } from '../../../app/toast';
import { relativeTime } from '../../../lib/format';
import { describeError, isAbort } from '../../../lib/http';
import type { Connector } from '../../../lib/types';
import { useActions } from '../../actions/hooks';
import { connectorsApi, usedBy } from '../api';

/** The action catalog changed: the palette and forms load it again. */
function reloadActions() {
  useActions.setState({ actions: null, error: null, loading: false });
  void useActions.getState().load();
}

export function ConnectorsPage() {
  const [state, setState] = useState<{ items: Connector[] | null; error: string | null }>({ items: null, error: null });
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  const [deleting, setDeleting] = useState<Connector | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const ac = new AbortController();
    connectorsApi.list(ac.signal).then(
      (list) => setState({ items: list.items, error: null }),
      (e) => !isAbort(e) && setState((s) => ({ items: s.items, error: describeError(e) })),
    );
    return () => ac.abort();
  }, [tick]);
  const { items, error } = state;
  const remove = async (c: Connector) => {
    setBusy(true);
    try {
      await connectorsApi.remove(c.name);
      toast.success(`Deleted connector ${c.name}`);
      reloadActions();
      reload();
    } catch (e) {
      toast.error(`Could not delete ${c.name}`, e);
    } finally {
      setBusy(false);
      setDeleting(null);
    }
  };
  return (
    <div className="page" data-testid="connectors-page">
      <header className="page__header">
        <div>
          <h1>Connectors</h1>
          <p className="muted">Import an API's OpenAPI document (3.0, 3.1 or Swagger 2.0): each operation becomes an action with its own form, in the palette under the connector's name.</p>
        </div>
        <IconButton icon={RefreshCw} label="Refresh connectors" onClick={reload} />
      </header>
      <ImportForm onImported={reload} />
      <div className="card card--pad">
        {error && !items ? (
          <ErrorState title="Could not load the connectors" message={error} onRetry={reload} />
        ) : !items ? (
          <Spinner label="Loading connectors…" />
        ) : items.length === 0 ? (
          <EmptyState icon={Plug} title="No connectors yet">
            Import an OpenAPI document above; its operations show in the editor's palette.
          </EmptyState>
        ) : (
          <table className="table" data-testid="connector-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Version</th>
                <th>Operations</th>
                <th>Requests to</th>
                <th>Credentials</th>
                <th>Usage</th>
                <th>Imported</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.name} data-testid="connector-row" data-name={c.name}>
                  <td>
                    <strong>{c.name}</strong>
                    <div className="muted small">
                      {c.title} · {c.format}
                    </div>
                  </td>
                  <td data-testid="connector-version">v{c.version}</td>
                  <td>{c.operations}</td>
                  <td className="mono small" title={c.base_url_overridden ? 'Set at import, instead of the document’s servers' : 'From the document’s servers'}>
                    {c.base_url}
                  </td>
                  <td>{c.credential_types.join(', ') || 'none'}</td>
                  <td className="small">{usedBy(c)}</td>
                  <td>{relativeTime(c.created_at)}</td>
                  <td>
                    <ReimportButton connector={c} onImported={reload} />
                    <IconButton icon={Trash2} label={`Delete connector ${c.name}`} variant="danger" onClick={() => setDeleting(c)} data-testid={`connector-delete-${c.name}`} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete connector ${deleting.name}?`}
          message={deleting.used_by.length ? `It is ${usedBy(deleting)}: the server will refuse until they stop using it.` : 'Every version goes, and its actions leave the palette.'}
          confirm="Delete"
          busy={busy}
          onConfirm={() => void remove(deleting)}
          onClose={() => setDeleting(null)}
        />
      )}
    </div>
  );
}

/** Reads a chosen file as text. */
async function readFile(input: HTMLInputElement | null): Promise<string | null> {
  const file = input?.files?.[0];
  return file ? file.text() : null;
}

function ImportForm({ onImported }: { onImported: () => void }) {
  const fileRef = useRef<HTMLInputElement>(null);
  const [name, setName] = useState('');
  const [baseUrl, setBaseUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<string[]>([]);
  const submit = async () => {
    const text = await readFile(fileRef.current);
    if (!text) {
      setProblems(['Choose an OpenAPI document (JSON or YAML) first.']);
      return;
    }
    setBusy(true);
    setProblems([]);
    try {
      const out = await connectorsApi.import(text, name.trim() || undefined, baseUrl.trim() || undefined);
      const c = out.connector;
      toast.success(`Imported ${c.name} v${c.version}: ${c.operations} operations`);
      for (const w of out.workflows_with_problems) toast.info(`Workflow “${w.workflow}” has ${w.problems.length} problem(s) with this version`);
      reloadActions();
      onImported();
      if (fileRef.current) fileRef.current.value = '';
      setName('');
    } catch (e) {
      const details = (e as { details?: { problems?: { pointer: string; line?: number | null; message: string }[] } }).details;
      const list = details?.problems?.map((p) => `${p.pointer || 'document'}${p.line ? ` (line ${p.line})` : ''}: ${p.message}`);
      setProblems(list?.length ? list : [describeError(e)]);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div className="card card--pad stack" data-testid="connector-import">
      <h2 className="section__title">Import a document</h2>
      <div className="grid-2">
        <Field label="OpenAPI document" htmlFor="connector-file" hint="JSON or YAML, up to 16 MiB.">
          <input id="connector-file" ref={fileRef} type="file" accept=".json,.yaml,.yml,application/json,application/yaml" data-testid="connector-file" />
        </Field>
        <Field label="Name" htmlFor="connector-name" hint="Actions are named <name>.<operation>; from the document's title when empty. A name already imported gets a new version.">
          <input id="connector-name" value={name} placeholder="e.g. twilio" onChange={(e) => setName(e.target.value)} data-testid="connector-name" />
        </Field>
      </div>
      <Field label="Base URL" htmlFor="connector-base-url" hint="Where requests go instead of the document's servers, e.g. a sandbox or a test server.">
        <input id="connector-base-url" value={baseUrl} placeholder="from the document" onChange={(e) => setBaseUrl(e.target.value)} data-testid="connector-base-url" />
      </Field>
      {problems.length > 0 && (
        <ul className="problems" data-testid="connector-problems">
          {problems.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      )}
      <div>
        <Button variant="primary" icon={Upload} busy={busy} onClick={() => void submit()} data-testid="connector-import-submit">
          Import
        </Button>
      </div>
    </div>
  );
}

/** A new version of a connector from another file, same name and base URL. */
function ReimportButton({ connector, onImported }: { connector: Connector; onImported: () => void }) {
  const ref = useRef<HTMLInputElement>(null);
  const pick = async () => {
    const text = await readFile(ref.current);
    if (!text) return;
    try {
      const out = await connectorsApi.import(text, connector.name, connector.base_url_overridden ? connector.base_url : undefined);
      toast.success(`Imported ${connector.name} v${out.connector.version}`);
      for (const w of out.workflows_with_problems) toast.info(`Workflow “${w.workflow}” has ${w.problems.length} problem(s) with this version`);
      reloadActions();
      onImported();
    } catch (e) {
      toast.error(`Could not re-import ${connector.name}`, e);
    } finally {
      if (ref.current) ref.current.value = '';
    }
  };
  return (
    <>
      <input ref={ref} type="file" hidden accept=".json,.yaml,.yml" onChange={() => void pick()} data-testid={`connector-reimport-file-${connector.name}`} />
      <IconButton icon={Upload} label={`Re-import ${connector.name}`} onClick={() => ref.current?.click()} />
    </>
  );
}
