// The body shared by every node: icon tile, title, summary, run status and problems.
import { CircleAlert, CircleCheck, CircleDashed, CircleX, Hourglass, LoaderCircle, Pin, RotateCw, Unplug } from 'lucide-react';
import type { LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { useEditor } from '../editor/store';
import { usePins } from '../editor/pins';

export interface NodeCardProps {
  id: string;
  icon: LucideIcon;
  tint: string;
  title: string;
  subtitle: string;
  kind: string;
  selected?: boolean;
  variant?: 'trigger' | 'step';
  children?: ReactNode;
  /** Shows "not connected" when the step has no input. */
  checkInputs?: boolean;
}

const STATUS_ICON: Record<string, LucideIcon> = {
  running: LoaderCircle,
  retrying: RotateCw,
  waiting: Hourglass,
  succeeded: CircleCheck,
  failed: CircleX,
  skipped: CircleDashed,
  cancelled: CircleX,
};

export function NodeCard({ id, icon: Icon, tint, title, subtitle, kind, selected, variant = 'step', children, checkInputs }: NodeCardProps) {
  const live = useEditor((s) => s.run?.steps[id]);
  const problems = useEditor((s) => s.problems.filter((p) => p.step === id).map((p) => p.message).join('\n'));
  const orphan = useEditor((s) => !!checkInputs && s.mode.kind === 'draft' && !s.edges.some((e) => e.target === id));
  const pinned = usePins((s) => (variant === 'trigger' ? !!s.trigger : s.steps[id] !== undefined));
  const status = live?.status;
  const StatusIcon = status ? STATUS_ICON[status] : null;
  const classes = ['wf-node', `wf-node--${variant}`, selected ? 'is-selected' : '', status ? `is-${status}` : '', problems ? 'has-problems' : '']
    .filter(Boolean)
    .join(' ');
  return (
    <div className={classes} data-testid={`node-${id}`} data-status={status ?? ''} data-problems={problems ? 'true' : 'false'}>
      <div className="wf-node__main">
        <span className="wf-node__icon" style={{ background: tint }} aria-hidden>
          <Icon size={18} strokeWidth={2} />
        </span>
        <span className="wf-node__text">
          <span className="wf-node__title">{title}</span>
          <span className="wf-node__subtitle" title={subtitle}>
            {subtitle || kind}
          </span>
        </span>
        {pinned && (
          <span className="wf-node__pin" data-testid={`pin-badge-${id}`} title={variant === 'trigger' ? 'A test event is pinned: test runs start from it' : 'Output pinned: test runs use it instead of running this step'}>
            <Pin size={14} aria-label="pinned" />
          </span>
        )}
        {StatusIcon && (
          <span className={`wf-node__status is-${status}`} title={`${status}${live?.attempt && live.attempt > 1 ? ` (attempt ${live.attempt})` : ''}`}>
            <StatusIcon size={18} aria-label={status} className={status === 'running' ? 'spin' : undefined} />
          </span>
        )}
      </div>
      {children}
      {problems && (
        <div className="wf-node__problems" role="note" data-testid={`node-problems-${id}`} title={problems}>
          <CircleAlert size={13} aria-hidden /> <span>{problems.split('\n')[0]}</span>
          {problems.includes('\n') && <span className="wf-node__more">+{problems.split('\n').length - 1}</span>}
        </div>
      )}
      {orphan && !problems && (
        <div className="wf-node__hint" title="With no input, the step runs right after the trigger.">
          <Unplug size={13} aria-hidden /> Not connected
        </div>
      )}
    </div>
  );
}
