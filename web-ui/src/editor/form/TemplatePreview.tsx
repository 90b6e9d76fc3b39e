// Under a templated field: what it renders to against the pinned data or the last run (the
// server renders it, with the engine's own templates), or why it does not render.
import { useEffect, useMemo, useState } from 'react';
import { workflowsApi } from '../../features/workflows/api';
import { isAbort } from '../../lib/http';
import { sampleData, usePins } from '../pins';
import { useEditor } from '../store';

const MAX_SHOWN = 300;

function shown(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

export function TemplatePreview({ value }: { value: string }) {
  const lastRun = useEditor((s) => s.lastRun);
  const trigger = usePins((s) => s.trigger);
  const steps = usePins((s) => s.steps);
  const data = useMemo(() => sampleData(lastRun, { trigger, steps }), [lastRun, trigger, steps]);
  const templated = value.includes('{{');
  const [result, setResult] = useState<{ for: string; data: unknown; text?: string; error?: string } | null>(null);

  useEffect(() => {
    if (!templated || !data) return;
    const ac = new AbortController();
    const timer = window.setTimeout(async () => {
      try {
        const out = await workflowsApi.render({ value, path: '', trigger: data.request ?? {}, steps: data.outputs ?? {} }, ac.signal);
        const error = out.errors[0];
        setResult({ for: value, data, ...(error ? { error: error.message } : { text: shown(out.value) }) });
      } catch (e) {
        if (!isAbort(e)) setResult({ for: value, data, error: `No preview: ${e instanceof Error ? e.message : String(e)}` });
      }
    }, 250);
    return () => {
      window.clearTimeout(timer);
      ac.abort();
    };
  }, [value, data, templated]);

  if (!templated || !data || !result || result.for !== value || result.data !== data) return null;
  return (
    <div
      className={`template-preview${result.error ? ' is-error' : ''}`}
      role="status"
      data-testid="template-preview"
      title={result.error ?? result.text}
    >
      {result.error ? `⚠ ${result.error}` : `→ ${result.text}`}
    </div>
  );
}
