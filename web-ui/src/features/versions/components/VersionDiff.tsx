import { useCallback, useMemo, useState } from 'react';
import { stringify } from 'yaml';
import { ErrorState, Modal, Spinner } from '../../../app/ui';
import type { VersionSummary } from '../../../lib/types';
import { useAsync } from '../../../lib/useAsync';
import { versionsApi } from '../api';
import { diffStats, hunks, lineDiff } from '../diff';

/** The changes between two saved versions, as a unified diff of their YAML. */
export function VersionDiff({ workflowId, versions, from, to, onClose }: { workflowId: string; versions: VersionSummary[]; from: number; to: number; onClose: () => void }) {
  const [pair, setPair] = useState({ from, to });
  const fetchTexts = useCallback(async () => {
    const [a, b] = await Promise.all([versionsApi.get(workflowId, pair.from), versionsApi.get(workflowId, pair.to)]);
    return { before: stringify(a.workflow), after: stringify(b.workflow) };
  }, [workflowId, pair.from, pair.to]);
  const texts = useAsync(fetchTexts);

  const diff = useMemo(() => (texts.data ? lineDiff(texts.data.before, texts.data.after) : []), [texts.data]);
  const shown = useMemo(() => hunks(diff), [diff]);
  const stats = diffStats(diff);
  const numbers = [...versions].map((v) => v.version).sort((a, b) => b - a);
  const picker = (label: string, value: number, onChange: (v: number) => void, testId: string) => (
    <label className="version-diff__pick">
      <span className="muted small">{label}</span>
      <select value={value} onChange={(e) => onChange(Number(e.target.value))} data-testid={testId}>
        {numbers.map((n) => (
          <option key={n} value={n}>
            Version {n}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <Modal title={`Changes from version ${pair.from} to version ${pair.to}`} onClose={onClose} wide testId="version-diff">
      <div className="version-diff">
        <div className="row gap">
          {picker('From', pair.from, (v) => setPair((p) => ({ ...p, from: v })), 'version-diff-from')}
          {picker('To', pair.to, (v) => setPair((p) => ({ ...p, to: v })), 'version-diff-to')}
          {texts.data && (
            <span className="muted small version-diff__stats" data-testid="version-diff-stats">
              <span className="diff-added">+{stats.added}</span> <span className="diff-removed">−{stats.removed}</span> lines of YAML
            </span>
          )}
        </div>
        {texts.error ? (
          <ErrorState title="Could not load the versions" message={texts.error} onRetry={texts.reload} />
        ) : !texts.data ? (
          <Spinner label="Loading the versions…" />
        ) : shown.length === 0 ? (
          <p className="muted" data-testid="version-diff-same">
            The two versions are the same document.
          </p>
        ) : (
          <div className="diff" data-testid="version-diff-lines">
            {shown.map((h, i) => (
              <div key={i}>
                {h.skippedBefore > 0 && (
                  <div className="diff__skip">
                    ⋯ {h.skippedBefore} unchanged line{h.skippedBefore > 1 ? 's' : ''}
                  </div>
                )}
                {h.lines.map((l, j) => (
                  <div key={j} className={`diff__line diff__line--${l.kind}`} data-kind={l.kind}>
                    <span className="diff__num">{l.old ?? ''}</span>
                    <span className="diff__num">{l.new ?? ''}</span>
                    <span className="diff__sign">
                      {l.kind === 'added' ? '+' : l.kind === 'removed' ? '−' : ' '}
                    </span>
                    <span className="diff__text">{l.text}</span>
                  </div>
                ))}
                {h.skippedAfter > 0 && (
                  <div className="diff__skip">
                    ⋯ {h.skippedAfter} unchanged line{h.skippedAfter > 1 ? 's' : ''}
                  </div>
                )}
              </div>
            ))}
          </div>
        )}
      </div>
    </Modal>
  );
}
