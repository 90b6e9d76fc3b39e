// Tries a stored credential: the server sends a request with it (to the URL given, by default
// one of its hosts) and says whether it was accepted.
import { CircleCheck, CircleX, FlaskConical } from 'lucide-react';
import { useState } from 'react';
import { Button, Field, Modal } from '../../../app/ui';
import { describeError } from '../../../lib/http';
import { credentialsApi } from '../api';
import { testUrlFor } from '../model';
import type { Credential, CredentialTestResult } from '../../../lib/types';

export function CredentialTestDialog({ credential, onClose, onTested }: { credential: Credential; onClose: () => void; onTested?: () => void }) {
  const [url, setUrl] = useState(() => testUrlFor(credential.allowed_hosts ?? null));
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<CredentialTestResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function run() {
    setBusy(true);
    setResult(null);
    setError(null);
    try {
      setResult(await credentialsApi.test(credential.name, url.trim() || undefined));
      onTested?.();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Modal
      title={`Test “${credential.name}”`}
      onClose={onClose}
      testId="credential-test-dialog"
      footer={
        <>
          <Button onClick={onClose}>Close</Button>
          <Button variant="primary" icon={FlaskConical} onClick={() => void run()} busy={busy} data-testid="credential-test-run">
            Test
          </Button>
        </>
      }
    >
      <Field label="URL" htmlFor="credential-test-url" hint="Optional: the server calls it with the credential. Empty: the server picks one of its hosts.">
        <input id="credential-test-url" value={url} spellCheck={false} placeholder="https://api.example.com/" data-testid="credential-test-url" onChange={(e) => setUrl(e.target.value)} onKeyDown={(e) => e.key === 'Enter' && void run()} />
      </Field>
      {result && (
        <div className={`cred-test cred-test--${result.ok ? 'ok' : 'failed'}`} role="status" data-testid="credential-test-result" data-ok={String(result.ok)}>
          {result.ok ? <CircleCheck size={18} aria-hidden /> : <CircleX size={18} aria-hidden />}
          <div>
            <strong>{result.ok ? 'Accepted' : 'Not accepted'}</strong>
            {typeof result.status === 'number' && (
              <>
                {' '}
                · HTTP <code data-testid="credential-test-status">{result.status}</code>
              </>
            )}
            <p className="small">{result.message}</p>
          </div>
        </div>
      )}
      {error && (
        <p className="field__error" role="alert" data-testid="credential-test-error">
          {error}
        </p>
      )}
    </Modal>
  );
}
