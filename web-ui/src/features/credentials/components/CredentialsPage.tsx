// The credentials steps and triggers name: what each is, where it may be sent, who uses it,
// whether it works. Create, edit, test, connect (OAuth2) and delete.
import { FlaskConical, KeyRound, Link2, Pencil, Plus, RefreshCw, Trash2 } from 'lucide-react';
import { useState } from 'react';
import { href } from '../../../app/router';
import { toast } from '../../../app/toast';
import { Button, EmptyState, ErrorState, IconButton, Modal, Spinner } from '../../../app/ui';
import { dateTime, relativeTime } from '../../../lib/format';
import { ApiError, describeError } from '../../../lib/http';
import { useAuth } from '../../auth/hooks';
import { useWorkflowList } from '../../workflows/hooks';
import { credentialsApi } from '../api';
import { useConnect, useCredentials, useCredentialList, useRefreshOnFocus } from '../hooks';
import { blockingWorkflows, canConnect } from '../model';
import type { Credential } from '../../../lib/types';
import { CredentialDialog } from './CredentialDialog';
import { CredentialTestDialog } from './CredentialTestDialog';

type Dialog = { kind: 'new' } | { kind: 'edit' | 'test' | 'delete'; credential: Credential } | null;

export function CredentialsPage() {
  const items = useCredentialList();
  const { credentials, error, loading, reload } = useCredentials();
  const readOnly = useAuth((s) => s.session?.scope) === 'read';
  const [dialog, setDialog] = useState<Dialog>(null);
  const { connect, waiting } = useConnect();
  useRefreshOnFocus();
  // Workflow name → id, to link "used by" to the editor.
  const workflowList = useWorkflowList();
  const workflows = workflowList.data?.items;
  const refresh = () => {
    void reload();
    workflowList.reload();
  };
  const ids = new Map((workflows ?? []).map((w) => [w.name, w.id]));

  const onConnect = (c: Credential) =>
    connect(c.name).then(
      ({ redirect_uri }) => toast.info(`Approve the access in the new window; “${c.name}” turns ok when it comes back. (The provider must allow the redirect URI ${redirect_uri}.)`),
      (e) => toast.error(`Could not connect “${c.name}”.`, e),
    );

  return (
    <div className="page" data-testid="credentials-page">
      <header className="page__header">
        <div>
          <h1>Credentials</h1>
          <p className="muted">Secrets that steps send and triggers check, by name. Stored encrypted, never shown again, each sent only to the hosts it is bound to.</p>
        </div>
        <div className="page__actions">
          <IconButton icon={RefreshCw} label="Refresh credentials" onClick={refresh} data-testid="credentials-refresh" />
          {!readOnly && (
            <Button variant="primary" icon={Plus} onClick={() => setDialog({ kind: 'new' })} data-testid="new-credential">
              New credential
            </Button>
          )}
        </div>
      </header>
      {error && !credentials ? (
        <ErrorState title="Could not load the credentials" message={error} onRetry={() => void reload()} />
      ) : !credentials && loading ? (
        <Spinner label="Loading credentials…" />
      ) : items.length === 0 ? (
        <EmptyState icon={KeyRound} title="No credentials yet" action={!readOnly && <Button variant="primary" icon={Plus} onClick={() => setDialog({ kind: 'new' })}>New credential</Button>}>
          An <code>http</code> step sends one by name (<code>credential: crm-api</code>); a webhook trigger checks its signature with one.
        </EmptyState>
      ) : (
        <div className="card table-card">
          <table className="table cred-table" data-testid="credential-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Type</th>
                <th>Hosts</th>
                <th>Used by</th>
                <th>Last used</th>
                <th>Status</th>
                <th>Source</th>
                <th aria-label="Actions" />
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.name} data-testid={`credential-row-${c.name}`}>
                  <td className="table__name">
                    <strong>{c.name}</strong>
                    {c.description && <div className="muted small">{c.description}</div>}
                  </td>
                  <td>
                    <code>{c.type}</code>
                    {c.type === 'oauth2' && typeof c.data.grant === 'string' && <div className="muted small">{c.data.grant.replace(/_/g, ' ')}</div>}
                  </td>
                  <td data-testid="credential-hosts-cell">
                    <Hosts hosts={c.allowed_hosts ?? null} type={c.type} />
                  </td>
                  <td data-testid="credential-used-by">
                    <UsedBy names={c.used_by ?? []} ids={ids} />
                  </td>
                  <td className="small" title={c.last_used_at ? dateTime(c.last_used_at) : undefined}>
                    {c.last_used_at ? relativeTime(c.last_used_at) : <span className="muted">never</span>}
                  </td>
                  <td>
                    <CredentialStatusBadge credential={c} />
                    {waiting === c.name && <div className="muted small">waiting for the provider…</div>}
                    {canConnect(c) && !readOnly && !c.read_only && (
                      <Button size="sm" icon={Link2} variant={c.status === 'ok' ? 'ghost' : 'primary'} className="cred-connect" onClick={() => void onConnect(c)} data-testid="credential-connect">
                        {c.status === 'not_connected' ? 'Connect' : 'Reconnect'}
                      </Button>
                    )}
                  </td>
                  <td>
                    {c.source === 'file' ? (
                      <span className="cred-source" title="From the credentials file of the server: change it there." data-testid="credential-source">
                        file · read-only
                      </span>
                    ) : (
                      <span className="muted small" data-testid="credential-source">
                        {c.read_only ? 'read-only' : 'editor'}
                      </span>
                    )}
                  </td>
                  <td className="table__actions">
                    {!readOnly && <IconButton icon={FlaskConical} label={`Test ${c.name}`} onClick={() => setDialog({ kind: 'test', credential: c })} data-testid="credential-test" />}
                    {!readOnly && !c.read_only && (
                      <>
                        <IconButton icon={Pencil} label={`Edit ${c.name}`} onClick={() => setDialog({ kind: 'edit', credential: c })} data-testid="credential-edit" />
                        <IconButton icon={Trash2} label={`Delete ${c.name}`} variant="danger" onClick={() => setDialog({ kind: 'delete', credential: c })} data-testid="credential-delete" />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dialog?.kind === 'new' && <CredentialDialog onClose={() => setDialog(null)} />}
      {dialog?.kind === 'edit' && <CredentialDialog existing={dialog.credential} onClose={() => setDialog(null)} />}
      {dialog?.kind === 'test' && <CredentialTestDialog credential={dialog.credential} onClose={() => setDialog(null)} onTested={() => void reload()} />}
      {dialog?.kind === 'delete' && <DeleteDialog credential={dialog.credential} ids={ids} onClose={() => setDialog(null)} />}
    </div>
  );
}

function Hosts({ hosts, type }: { hosts: string[] | null; type: string }) {
  if (hosts === null) {
    return type === 'secret' ? (
      <span className="muted small">— (checks webhooks)</span>
    ) : (
      <span className="cred-unbound" title="Sent to any host a step names: bind it in the credentials file." data-testid="credential-unbound">
        unbound
      </span>
    );
  }
  return (
    <span className="cred-hosts">
      {hosts.map((h) => (
        <code key={h}>{h}</code>
      ))}
    </span>
  );
}

function UsedBy({ names, ids }: { names: string[]; ids: Map<string, string> }) {
  if (names.length === 0) return <span className="muted small">—</span>;
  return (
    <span className="cred-used-by">
      {names.map((n) => {
        const id = ids.get(n);
        return id ? (
          <a key={n} href={href({ name: 'editor', id })}>
            {n}
          </a>
        ) : (
          <span key={n}>{n}</span>
        );
      })}
    </span>
  );
}

export function CredentialStatusBadge({ credential: c }: { credential: Pick<Credential, 'status' | 'status_message' | 'token_expires_at'> }) {
  const label = c.status === 'needs_reconnect' ? 'needs reconnect' : c.status === 'not_connected' ? 'not connected' : 'ok';
  return (
    <div className="cred-status">
      <span className={`pill pill--cred-${c.status}`} data-testid="credential-status" data-status={c.status} title={c.status_message ?? undefined}>
        <span className="pill__dot" aria-hidden />
        {label}
      </span>
      {c.status !== 'ok' && c.status_message && (
        <span className={`small${c.status === 'needs_reconnect' ? ' cred-status__why' : ' muted'}`} data-testid="credential-status-message">
          {c.status_message}
        </span>
      )}
      {c.status === 'ok' && c.token_expires_at && <span className="muted small">token until {dateTime(c.token_expires_at)}</span>}
    </div>
  );
}

/** Deletes, or shows why not: the server refuses while workflows name the credential. */
function DeleteDialog({ credential: c, ids, onClose }: { credential: Credential; ids: Map<string, string>; onClose: () => void }) {
  const forget = useCredentials((s) => s.forget);
  const [busy, setBusy] = useState(false);
  const [refused, setRefused] = useState<{ message: string; workflows: string[] } | null>(null);
  async function remove() {
    setBusy(true);
    try {
      await credentialsApi.remove(c.name);
      forget(c.name);
      toast.success(`Deleted “${c.name}”.`);
      onClose();
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) setRefused({ message: e.message, workflows: blockingWorkflows(e.details) });
      else setRefused({ message: describeError(e), workflows: [] });
    } finally {
      setBusy(false);
    }
  }
  return (
    <Modal
      title={`Delete “${c.name}”?`}
      onClose={onClose}
      testId="confirm-dialog"
      footer={
        <>
          <Button onClick={onClose}>{refused ? 'Close' : 'Cancel'}</Button>
          {!refused && (
            <Button variant="danger" onClick={() => void remove()} busy={busy} data-testid="confirm-button">
              Delete
            </Button>
          )}
        </>
      }
    >
      {refused ? (
        <div role="alert" data-testid="credential-delete-refused">
          <p>{refused.message}</p>
          {refused.workflows.length > 0 && (
            <>
              <p className="muted small">Change these workflows first:</p>
              <UsedBy names={refused.workflows} ids={ids} />
            </>
          )}
        </div>
      ) : (
        <p>
          Steps and triggers that name it will fail until another credential takes its name.
          {(c.used_by ?? []).length > 0 && <> It is used by {c.used_by.join(', ')}.</>}
        </p>
      )}
    </Modal>
  );
}
