// What a waiting step (`action: wait`) waits for: until when, and the URL that resumes it.
import { Copy, Hourglass } from 'lucide-react';
import { toast } from '../../app/toast';
import { Button } from '../../app/ui';
import { absoluteUrl, dateTime } from '../../lib/format';

/** What a waiting step waits for: until when, and the URL that resumes it. */
export function WaitNote({ stepId, output }: { stepId: string; output: unknown }) {
  if (!output || typeof output !== 'object') return null;
  const o = output as { until?: string | null; callback?: boolean; resume_url?: string };
  const url = o.resume_url ? absoluteUrl(o.resume_url) : null;
  return (
    <div className="wait-note" data-testid={`wait-note-${stepId}`}>
      <p className="small">
        <Hourglass size={13} aria-hidden /> <code>{stepId}</code> waits
        {o.callback ? ' for a request to its resume URL' : ''}
        {o.until ? ` until ${dateTime(o.until)}` : ''}.
      </p>
      {url && (
        <div className="row gap-sm">
          <input className="wait-note__url" readOnly value={url} aria-label="Resume URL" data-testid={`resume-url-${stepId}`} onFocus={(e) => e.currentTarget.select()} />
          <Button size="sm" icon={Copy} onClick={() => void copy(url)}>
            Copy
          </Button>
          <a className="small" href={url} target="_blank" rel="noreferrer noopener">
            Open form
          </a>
        </div>
      )}
    </div>
  );
}

async function copy(text: string) {
  try {
    await navigator.clipboard.writeText(text);
    toast.info('Resume URL copied.');
  } catch {
    toast.error('Could not copy: select the URL and copy it by hand.');
  }
}
