import { Eye, GitCompare, History, RotateCcw } from 'lucide-react';
import { useCallback, useState } from 'react';
import { toast } from '../../../app/toast';
import { Button, ConfirmDialog, EmptyState, ErrorState, IconButton, Spinner } from '../../../app/ui';
import { dateTime, relativeTime } from '../../../lib/format';
import { useAsync } from '../../../lib/useAsync';
import { useEditor } from '../../../editor/store';
import { versionsApi } from '../api';
import { VersionDiff } from './VersionDiff';

/**
 * The workflow's saved versions, each with its number, date and origin (the API keeps no
 * message yet): view one on the canvas (read-only), compare it with the one before, or restore it.
 */
export function VersionsPanel({ workflowId }: { workflowId: string }) {
  const current = useEditor((s) => s.record?.version);
  const mode = useEditor((s) => s.mode);
  const view = useEditor((s) => s.view);
  const load = useEditor((s) => s.load);
  const fetchList = useCallback(() => versionsApi.list(workflowId), [workflowId]);
  // Reloads after each save (the current version changes).
  const list = useAsync(fetchList, current);
  const [restoring, setRestoring] = useState<number | null>(null);
  const [busy, setBusy] = useState(false);
  const [comparing, setComparing] = useState<{ from: number; to: number } | null>(null);

  async function open(version: number) {
    try {
      const v = await versionsApi.get(workflowId, version);
      view(v.workflow, { kind: 'version', version });
    } catch (e) {
      toast.error(`Could not open version ${version}.`, e);
    }
  }

  async function restore(version: number) {
    setBusy(true);
    try {
      const record = await versionsApi.restore(workflowId, version);
      load(record);
      toast.success(`Restored version ${version} as version ${record.version}.`);
      setRestoring(null);
      list.reload();
    } catch (e) {
      toast.error(`Could not restore version ${version}.`, e);
    } finally {
      setBusy(false);
    }
  }

  const items = list.data?.items;
  const sorted = [...(items ?? [])].sort((a, b) => b.version - a.version);
  return (
    <div className="versions" data-testid="versions-panel">
      {list.error && !items ? (
        <ErrorState title="Could not load the versions" message={list.error} onRetry={list.reload} />
      ) : !items ? (
        <Spinner label="Loading versions…" />
      ) : items.length === 0 ? (
        <EmptyState icon={History} title="No versions yet">Each save makes a version.</EmptyState>
      ) : (
        <ul className="version-list">
          {sorted.map((v, i) => {
            const viewing = mode.kind === 'version' && mode.version === v.version;
            const previous = sorted[i + 1]?.version;
            return (
              <li key={v.version} className={`version${viewing ? ' is-active' : ''}`} data-testid={`version-${v.version}`}>
                <span className="version__num" aria-hidden>
                  v{v.version}
                </span>
                <span className="version__main">
                  <span className="version__title" data-testid="version-label">
                    Version {v.version}
                    {v.current && <span className="version__current">current</span>}
                  </span>
                  <span className="muted small" title={relativeTime(v.created_at)} data-testid="version-date">
                    {dateTime(v.created_at)}
                  </span>
                  <span className="muted small">{v.source_format === 'yaml' ? 'Imported from YAML' : 'Saved in the editor'}</span>
                </span>
                <IconButton icon={Eye} label={`View version ${v.version}`} onClick={() => void open(v.version)} data-testid="version-view" />
                {previous !== undefined && (
                  <IconButton
                    icon={GitCompare}
                    label={`Changes from version ${previous} to version ${v.version}`}
                    onClick={() => setComparing({ from: previous, to: v.version })}
                    data-testid="version-compare"
                  />
                )}
                {!v.current && <IconButton icon={RotateCcw} label={`Restore version ${v.version}`} onClick={() => setRestoring(v.version)} data-testid="version-restore" />}
              </li>
            );
          })}
        </ul>
      )}
      {comparing && items && <VersionDiff workflowId={workflowId} versions={items} from={comparing.from} to={comparing.to} onClose={() => setComparing(null)} />}
      {restoring !== null && (
        <ConfirmDialog
          title={`Restore version ${restoring}?`}
          message="It becomes the newest version; unsaved changes in the editor are dropped. The versions in between stay in the history."
          confirm="Restore"
          busy={busy}
          onConfirm={() => void restore(restoring)}
          onClose={() => setRestoring(null)}
        />
      )}
      {mode.kind === 'version' && (
        <Button size="sm" onClick={() => useEditor.getState().backToDraft()}>
          Back to the draft
        </Button>
      )}
    </div>
  );
}
