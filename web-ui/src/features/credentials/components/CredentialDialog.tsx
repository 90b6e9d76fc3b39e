// Creates or edits a credential in a dialog: used by the Credentials page and inline by the
// credential pickers of the step and trigger panels ("New credential…").
import { useMemo, useState } from 'react';
import { Button, ErrorState, Modal, Spinner } from '../../../app/ui';
import { toast } from '../../../app/toast';
import { ApiError, describeError } from '../../../lib/http';
import { credentialsApi } from '../api';
import { useCredentials, useCredentialTypes } from '../hooks';
import { credentialIn, credentialShape, credentialUpdate, draftOf, draftProblems, emptyDraft, type CredentialDraft } from '../model';
import type { Credential } from '../../../lib/types';
import { CredentialForm } from './CredentialForm';

/** Where a server's refusal goes: under the field it names (`details.field`), else above the
 * form. */
function serverProblem(e: unknown): Record<string, string> {
  if (!(e instanceof ApiError)) return { form: describeError(e) };
  if (e.code === 'conflict' && e.status === 409) return { name: e.message };
  const field = (e.details as { field?: unknown } | null | undefined)?.field;
  // The server names `name`, `type`, `allowed_hosts`, `description` or `data.<field>`.
  if (typeof field === 'string' && (/^(name|type|allowed_hosts|description)$/.test(field) || field.startsWith('data.'))) return { [field]: e.message };
  if (/allowed_hosts/.test(e.message)) return { allowed_hosts: e.message };
  return { form: e.message };
}

export function CredentialDialog({
  existing,
  initial,
  kinds,
  onClose,
  onSaved,
}: {
  existing?: Credential;
  /** Starting values of a new credential (e.g. hosts from the step's URL). */
  initial?: Partial<CredentialDraft>;
  /** The types that fit where it will be used (all when absent). */
  kinds?: string[];
  onClose: () => void;
  onSaved?: (c: Credential) => void;
}) {
  const { types, error, retry } = useCredentialTypes();
  const upsert = useCredentials((s) => s.upsert);
  const [draft, setDraft] = useState<CredentialDraft | null>(existing ? draftOf(existing) : null);
  const [shown, setShown] = useState<Record<string, string>>({});
  const [tried, setTried] = useState(false);
  const [busy, setBusy] = useState(false);

  // The first type that fits, once the types are known.
  const current = useMemo(() => {
    if (draft || !types?.length) return draft;
    const type = initial?.type ?? types.find((t) => !kinds || kinds.includes(t.type))?.type ?? types[0].type;
    return { ...emptyDraft(type), ...initial, type };
  }, [draft, types, initial, kinds]);
  const info = types?.find((t) => t.type === current?.type);
  const shape = useMemo(() => credentialShape(info), [info]);
  const problems = current ? draftProblems(current, shape, existing) : {};
  const errors = tried ? { ...problems, ...shown } : shown;

  async function save() {
    if (!current) return;
    setTried(true);
    if (Object.keys(problems).length) return;
    setBusy(true);
    try {
      const saved = existing ? await credentialsApi.update(existing.name, credentialUpdate(current, shape, existing)) : await credentialsApi.create(credentialIn(current, shape));
      upsert(saved);
      toast.success(existing ? `Saved “${saved.name}”.` : `Created “${saved.name}”.`);
      onSaved?.(saved);
      onClose();
    } catch (e) {
      setShown(serverProblem(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      title={existing ? `Edit credential “${existing.name}”` : 'New credential'}
      onClose={onClose}
      wide
      testId="credential-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="primary" onClick={() => void save()} busy={busy} disabled={!current} data-testid="credential-save">
            {existing ? 'Save' : 'Create'}
          </Button>
        </>
      }
    >
      {error ? (
        <ErrorState title="Could not load the credential types" message={error} onRetry={retry} />
      ) : !types || !current ? (
        <Spinner label="Loading the credential types…" />
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          {errors.form && (
            <p className="notice notice--error" role="alert" data-testid="credential-form-error">
              {errors.form}
            </p>
          )}
          <CredentialForm
            draft={current}
            onChange={(d) => {
              setDraft(d);
              setShown({});
            }}
            types={types}
            shape={shape}
            existing={existing}
            kinds={kinds}
            errors={errors}
          />
          <button type="submit" hidden />
        </form>
      )}
    </Modal>
  );
}
