// The signed-in session. The server keeps it in an HttpOnly cookie no script can read; this
// store holds only what the editor needs in memory: the scope and the CSRF token that every
// state-changing call echoes in `X-CSRF-Token`. Nothing is written to localStorage.
import { create } from 'zustand';
import type { Scope, SessionOut } from '../../lib/types';

/** Where older editors kept the API key; removed on load. */
const STALE_KEY = 'weft.apiKey';

export type { Scope };
export type Session = SessionOut;

type Status = 'checking' | 'signed-in' | 'signed-out';

interface AuthState {
  status: Status;
  session: Session | null;
  /** Why the user was signed out, shown on the sign-in screen. */
  notice: string | null;
  signedIn: (session: Session) => void;
  /** Forgets the session locally (the server call is `signOut` in ./api). */
  signedOut: (notice?: string) => void;
}

export function removeStaleKey(): void {
  try {
    localStorage.removeItem(STALE_KEY);
  } catch {
    // storage may be disabled or absent (tests)
  }
}

removeStaleKey();

export const useAuth = create<AuthState>((set) => ({
  status: 'checking',
  session: null,
  notice: null,
  signedIn: (session) => set({ status: 'signed-in', session, notice: null }),
  signedOut: (notice) => set({ status: 'signed-out', session: null, notice: notice ?? null }),
}));
