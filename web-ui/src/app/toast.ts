// Toast notifications: short messages that say what happened or what went wrong.
import { create } from 'zustand';
import { describeError } from '../lib/http';

export type ToastKind = 'info' | 'success' | 'error';

export interface Toast {
  id: number;
  kind: ToastKind;
  message: string;
  detail?: string;
}

interface ToastState {
  toasts: Toast[];
  push: (kind: ToastKind, message: string, detail?: string) => void;
  dismiss: (id: number) => void;
}

let next = 1;

export const useToasts = create<ToastState>((set, get) => ({
  toasts: [],
  push: (kind, message, detail) => {
    const id = next++;
    set({ toasts: [...get().toasts.slice(-2), { id, kind, message, detail }] });
    window.setTimeout(() => get().dismiss(id), kind === 'error' ? 9000 : 2800);
  },
  dismiss: (id) => set({ toasts: get().toasts.filter((t) => t.id !== id) }),
}));

export const toast = {
  info: (message: string) => useToasts.getState().push('info', message),
  success: (message: string) => useToasts.getState().push('success', message),
  /** An error toast: what was being done, and why it failed. */
  error: (what: string, e?: unknown) => useToasts.getState().push('error', what, e === undefined ? undefined : describeError(e)),
};
