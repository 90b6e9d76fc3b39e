import { CircleAlert } from 'lucide-react';
import type { Problem } from '../../../lib/types';

/** Validation problems with their place: line and column, step and field. */
export function ProblemList({ problems, onPick }: { problems: Problem[]; onPick?: (p: Problem) => void }) {
  if (!problems.length) return null;
  return (
    <ul className="problems" data-testid="problem-list" aria-label="Problems">
      {problems.map((p, i) => {
        const where = [
          p.location ? `line ${p.location.line}, column ${p.location.column}` : null,
          p.step ? `step ${p.step}` : null,
          p.field ?? (p.path || null),
        ].filter(Boolean);
        const body = (
          <>
            <CircleAlert size={14} aria-hidden className="problems__icon" />
            <span>
              {where.length > 0 && <span className="problems__where">{where.join(' · ')}</span>}
              <span className="problems__message">{p.message}</span>
            </span>
          </>
        );
        return (
          <li key={i} data-testid="problem">
            {onPick ? (
              <button type="button" className="problems__item" onClick={() => onPick(p)}>
                {body}
              </button>
            ) : (
              <div className="problems__item">{body}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
