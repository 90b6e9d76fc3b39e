import { ApiError, request } from '../../lib/http';
import { useAuth, type Session } from './hooks';

const path = '/api/v1/session';

/** Trades an API key for a session cookie; throws `ApiError` (401 when refused). */
export async function signIn(apiKey: string): Promise<Session> {
  const session = await request<Session>(path, { method: 'POST', body: { api_key: apiKey }, keepSession: true });
  useAuth.getState().signedIn(session);
  return session;
}

/** Restores a signed-in tab from its cookie; signs out quietly when there is none. */
export async function restoreSession(): Promise<void> {
  try {
    const session = await request<Session>(path, { keepSession: true });
    useAuth.getState().signedIn(session);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) useAuth.getState().signedOut();
    else useAuth.getState().signedOut(e instanceof Error ? e.message : String(e));
  }
}

/** Ends the session on the server (best effort), then locally. */
export async function signOut(): Promise<void> {
  try {
    await request<null>(path, { method: 'DELETE', keepSession: true });
  } catch {
    // the cookie may already be gone; sign out locally anyway
  }
  useAuth.getState().signedOut();
}
