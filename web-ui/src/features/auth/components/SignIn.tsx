import { KeyRound } from 'lucide-react';
import { useState, type FormEvent } from 'react';
import { Logo } from '../../../app/App';
import { Button } from '../../../app/ui';
import { ApiError, describeError } from '../../../lib/http';
import { signIn } from '../api';
import { useAuth } from '../hooks';

export function SignIn() {
  const notice = useAuth((s) => s.notice);
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const k = key.trim();
    if (!k) return setError('Enter an API key.');
    setBusy(true);
    setError(null);
    try {
      await signIn(k);
      setKey('');
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) {
        setError('This API key was refused. Check it and try again.');
      } else {
        setError(describeError(err));
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="signin">
      <form className="signin__card" onSubmit={submit} data-testid="sign-in">
        <div className="signin__brand">
          <Logo size={40} />
          <div>
            <h1>Weft</h1>
            <p>Workflow automation</p>
          </div>
        </div>
        <h2>Sign in</h2>
        <p className="muted">Use an API key of this Weft server (see <code>weft serve</code>’s output or your operator).</p>
        {notice && !error && (
          <p className="notice" role="status">
            {notice}
          </p>
        )}
        <label className="field__label" htmlFor="api-key">
          API key
        </label>
        <div className="input-with-icon">
          <KeyRound size={16} aria-hidden />
          <input
            id="api-key"
            type="password"
            autoComplete="current-password"
            placeholder="weft_…"
            value={key}
            onChange={(e) => setKey(e.target.value)}
            aria-invalid={!!error}
            aria-describedby={error ? 'api-key-error' : undefined}
            data-testid="api-key"
            autoFocus
          />
        </div>
        {error && (
          <p className="field__error" id="api-key-error" role="alert" data-testid="sign-in-error">
            {error}
          </p>
        )}
        <Button variant="primary" type="submit" busy={busy} className="signin__submit" data-testid="sign-in-submit">
          Sign in
        </Button>
      </form>
    </div>
  );
}
