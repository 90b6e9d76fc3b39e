// Small shared UI pieces: buttons, dialogs, status pills, toggles, tabs, empty states.
import { Check, Copy, LoaderCircle, X } from 'lucide-react';
import type { LucideIcon } from 'lucide-react';
import { useEffect, useId, useRef, useState, type ButtonHTMLAttributes, type ReactNode } from 'react';
import type { DeliveryStatus, ExecutionStatus, ProcessState, StepStatus } from '../lib/types';
import { copyText } from '../lib/format';
import { toast } from './toast';

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';

export interface ButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  variant?: Variant;
  icon?: LucideIcon;
  busy?: boolean;
  size?: 'sm' | 'md';
}

export function Button({ variant = 'secondary', icon: Icon, busy, size = 'md', children, className, disabled, ...rest }: ButtonProps) {
  return (
    <button
      type="button"
      className={`btn btn--${variant} btn--${size}${className ? ` ${className}` : ''}`}
      disabled={disabled || busy}
      aria-busy={busy || undefined}
      {...rest}
    >
      {busy ? <LoaderCircle size={15} className="spin" aria-hidden /> : Icon ? <Icon size={15} aria-hidden /> : null}
      {children !== undefined && <span>{children}</span>}
    </button>
  );
}

export interface IconButtonProps extends ButtonHTMLAttributes<HTMLButtonElement> {
  icon: LucideIcon;
  label: string;
  variant?: 'ghost' | 'secondary' | 'danger';
  size?: number;
}

/** A button showing only an icon; `label` is its accessible name and tooltip. */
export function IconButton({ icon: Icon, label, variant = 'ghost', size = 16, className, ...rest }: IconButtonProps) {
  return (
    <button
      type="button"
      className={`icon-btn icon-btn--${variant}${className ? ` ${className}` : ''}`}
      aria-label={label}
      title={label}
      {...rest}
    >
      <Icon size={size} aria-hidden />
    </button>
  );
}

export function CopyButton({ text, label = 'Copy', testId }: { text: string; label?: string; testId?: string }) {
  const [done, setDone] = useState(false);
  return (
    <IconButton
      icon={done ? Check : Copy}
      label={label}
      data-testid={testId}
      onClick={async () => {
        if (await copyText(text)) {
          setDone(true);
          window.setTimeout(() => setDone(false), 1200);
        } else toast.error('Could not copy to the clipboard.');
      }}
    />
  );
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="spinner" role="status">
      <LoaderCircle size={18} className="spin" aria-hidden />
      <span>{label}</span>
    </div>
  );
}

export function EmptyState({ icon: Icon, title, children, action }: { icon: LucideIcon; title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty">
      <span className="empty__icon" aria-hidden>
        <Icon size={22} />
      </span>
      <h3>{title}</h3>
      {children && <p>{children}</p>}
      {action}
    </div>
  );
}

export function ErrorState({ title, message, onRetry }: { title: string; message: string; onRetry?: () => void }) {
  return (
    <div className="error-state" role="alert">
      <strong>{title}</strong>
      <p>{message}</p>
      {onRetry && (
        <Button size="sm" onClick={onRetry}>
          Try again
        </Button>
      )}
    </div>
  );
}

export function StatusPill({ status }: { status: ExecutionStatus | StepStatus | DeliveryStatus | ProcessState | 'never' }) {
  const label = status === 'never' ? 'never run' : status;
  return (
    <span className={`pill pill--${status}`} data-testid="status-pill" data-status={status}>
      <span className="pill__dot" aria-hidden />
      {label}
    </span>
  );
}

export function Toggle({ checked, onChange, label, disabled, testId }: { checked: boolean; onChange: (v: boolean) => void; label: string; disabled?: boolean; testId?: string }) {
  return (
    <button
      type="button"
      role="switch"
      aria-checked={checked}
      aria-label={label}
      title={label}
      className={`toggle${checked ? ' is-on' : ''}`}
      disabled={disabled}
      data-testid={testId}
      onClick={() => onChange(!checked)}
    >
      <span className="toggle__knob" aria-hidden />
    </button>
  );
}

export interface TabItem<T extends string> {
  id: T;
  label: string;
  badge?: number | string;
}

export function Tabs<T extends string>({ tabs, value, onChange, label }: { tabs: TabItem<T>[]; value: T; onChange: (v: T) => void; label: string }) {
  return (
    <div className="tabs" role="tablist" aria-label={label}>
      {tabs.map((t) => (
        <button
          key={t.id}
          type="button"
          role="tab"
          aria-selected={t.id === value}
          className={`tab${t.id === value ? ' is-active' : ''}`}
          data-testid={`tab-${t.id}`}
          onClick={() => onChange(t.id)}
        >
          {t.label}
          {t.badge !== undefined && t.badge !== 0 && <span className="tab__badge">{t.badge}</span>}
        </button>
      ))}
    </div>
  );
}

export function Modal({ title, onClose, children, footer, wide, testId }: { title: string; onClose: () => void; children: ReactNode; footer?: ReactNode; wide?: boolean; testId?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  useEffect(() => {
    const previous = document.activeElement as HTMLElement | null;
    const first = ref.current?.querySelector<HTMLElement>('input, textarea, select, button:not(.modal__close)');
    first?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      previous?.focus?.();
    };
  }, [onClose]);
  return (
    <div className="modal-backdrop" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className={`modal${wide ? ' modal--wide' : ''}`} role="dialog" aria-modal="true" aria-labelledby={titleId} ref={ref} data-testid={testId}>
        <header className="modal__header">
          <h2 id={titleId}>{title}</h2>
          <IconButton icon={X} label="Close" className="modal__close" onClick={onClose} />
        </header>
        <div className="modal__body">{children}</div>
        {footer && <footer className="modal__footer">{footer}</footer>}
      </div>
    </div>
  );
}

export function ConfirmDialog({ title, message, confirm, onConfirm, onClose, busy }: { title: string; message: ReactNode; confirm: string; onConfirm: () => void; onClose: () => void; busy?: boolean }) {
  return (
    <Modal
      title={title}
      onClose={onClose}
      testId="confirm-dialog"
      footer={
        <>
          <Button onClick={onClose}>Cancel</Button>
          <Button variant="danger" onClick={onConfirm} busy={busy} data-testid="confirm-button">
            {confirm}
          </Button>
        </>
      }
    >
      <p>{message}</p>
    </Modal>
  );
}

export function Field({ label, htmlFor, hint, error, required, children, action }: { label: string; htmlFor?: string; hint?: ReactNode; error?: string; required?: boolean; children: ReactNode; action?: ReactNode }) {
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <div className="field__label-row">
        <label className="field__label" htmlFor={htmlFor}>
          {label}
          {required && <span className="field__required" aria-hidden> *</span>}
        </label>
        {action}
      </div>
      {children}
      {error ? (
        <p className="field__error" role="alert" data-testid={`field-error-${htmlFor ?? label}`}>
          {error}
        </p>
      ) : hint ? (
        <p className="field__hint">{hint}</p>
      ) : null}
    </div>
  );
}
