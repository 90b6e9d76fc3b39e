import { Check, Eye, GitCompare, History, Pencil, RotateCcw, X } from 'lucide-react';
import { useCallback, useState } from 'react';
import { toast } from '../../../app/toast';
import { Button, ConfirmDialog, EmptyState, ErrorState, IconButton, Spinner } from '../../../app/ui';
import { dateTime, relativeTime } from '../../../lib/format';
import { useAsync } from '../../../lib/useAsync';
import { useEditor } from '../../../editor/store';
import { useAuth } from '../../auth/hooks';
import { versionsApi } from '../api';
import { VersionDiff } from './VersionDiff';

/**
 * The workflow's saved versions, each with its number, date, origin and message (what the save
 * changed, editable here): view one on the canvas (read-only), compare it with the one before,
 * or restore it.
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
  const [labelling, setLabelling] = useState<{ version: number; text: string } | null>(null);
  const readOnly = useAuth((s) => s.session?.scope === 'read');

  async function label(version: number, text: string) {
    try {
      await versionsApi.label(workflowId, version, text);
      setLabelling(null);
      list.reload();
    } catch (e) {
      toast.error(`Could not label version ${version}.`, e);
    }
  }

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
                  <span className="muted small" title={v.source_format === 'yaml' ? 'Kept as the YAML text it was written in: comments and layout survive edits' : 'A document built in the editor'}>
                    {v.source_format === 'yaml' ? 'YAML text' : 'Built in the editor'}
                  </span>
                  {labelling?.version === v.version ? (
                    <span className="version__label-edit">
                      <input
                        autoFocus
                        value={labelling.text}
                        maxLength={500}
                        placeholder="What this version changed"
                        aria-label={`Message of version ${v.version}`}
                        data-testid={`version-message-input-${v.version}`}
                        onChange={(e) => setLabelling({ version: v.version, text: e.target.value })}
                        onKeyDown={(e) => {
                          if (e.key === 'Enter') void label(v.version, labelling.text);
                          if (e.key === 'Escape') setLabelling(null);
                        }}
                      />
                      <IconButton icon={Check} label="Save the message" onClick={() => void label(v.version, labelling.text)} data-testid={`version-message-save-${v.version}`} />
                      <IconButton icon={X} label="Cancel" onClick={() => setLabelling(null)} />
                    </span>
                  ) : (
                    v.message && (
                      <span className="version__message" data-testid={`version-message-${v.version}`}>
                        {v.message}
                      </span>
                    )
                  )}
                </span>
                {!readOnly && labelling?.version !== v.version && (
                  <IconButton icon={Pencil} label={`Describe version ${v.version}`} onClick={() => setLabelling({ version: v.version, text: v.message ?? '' })} data-testid={`version-describe-${v.version}`} />
                )}
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
