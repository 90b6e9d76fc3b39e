import { CircleAlert, CircleCheck, Info, X } from 'lucide-react';
import { useToasts } from './toast';

const ICON = { info: Info, success: CircleCheck, error: CircleAlert };

export function Toasts() {
  const toasts = useToasts((s) => s.toasts);
  const dismiss = useToasts((s) => s.dismiss);
  return (
    <div className="toasts" aria-live="polite" aria-relevant="additions">
      {toasts.map((t) => {
        const Icon = ICON[t.kind];
        return (
          <div key={t.id} className={`toast toast--${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'} data-testid={`toast-${t.kind}`}>
            <Icon size={18} aria-hidden className="toast__icon" />
            <div className="toast__text">
              <strong>{t.message}</strong>
              {t.detail && <span>{t.detail}</span>}
            </div>
            <button type="button" className="toast__close" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
              <X size={14} aria-hidden />
            </button>
          </div>
        );
      })}
    </div>
  );
}
