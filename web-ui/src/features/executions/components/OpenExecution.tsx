// `#/executions/<id>`: an execution known by its id alone (a child execution, a link from a
// step's output) opens in its workflow's editor.
import { useEffect, useState } from 'react';
import { href } from '../../../app/router';
import { executionsApi } from '../api';

export function OpenExecution({ id }: { id: string }) {
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const abort = new AbortController();
    executionsApi
      .get(id, abort.signal)
      .then((e) => window.location.replace(href({ name: 'editor', id: e.workflow_id, executionId: e.id })))
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError((e as Error).message);
      });
    return () => abort.abort();
  }, [id]);
  return (
    <div className="page" data-testid="open-execution">
      {error ? <p className="field__error">Execution {id}: {error}</p> : <p className="muted">Opening execution {id}…</p>}
    </div>
  );
}
