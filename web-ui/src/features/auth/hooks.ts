// The signed-in API key, kept in localStorage.
import { create } from 'zustand';

const STORAGE_KEY = 'weft.apiKey';

function stored(): string | null {
  try {
    return localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

interface AuthState {
  key: string | null;
  /** Why the user was signed out, shown on the sign-in screen. */
  notice: string | null;
  signIn: (key: string) => void;
  signOut: (notice?: string) => void;
}

export const useAuth = create<AuthState>((set) => ({
  key: stored(),
  notice: null,
  signIn: (key) => {
    try {
      localStorage.setItem(STORAGE_KEY, key);
    } catch {
      // storage may be disabled: the key then lasts for this tab only
    }
    set({ key, notice: null });
  },
  signOut: (notice) => {
    try {
      localStorage.removeItem(STORAGE_KEY);
    } catch {
      // ignore
    }
    set({ key: null, notice: notice ?? null });
  },
}));
