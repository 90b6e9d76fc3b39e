// The one HTTP client of the editor: sends the session cookie (same-origin) and the CSRF
// token on state-changing calls, turns error answers into `ApiError`s whose message says
// what went wrong.
import type { ApiErrorBody, Problem } from './types';
import { useAuth } from '../features/auth/hooks';

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** Validation problems carried by a 422 answer (`details.problems`). */
  get problems(): Problem[] {
    const d = this.details as { problems?: Problem[] } | null | undefined;
    return Array.isArray(d?.problems) ? d.problems : [];
  }
}

export interface RequestOptions {
  method?: string;
  /** A JSON value, or a string sent as YAML. */
  body?: unknown;
  yaml?: boolean;
  accept?: 'json' | 'yaml';
  signal?: AbortSignal;
  query?: Record<string, string | number | boolean | undefined | null>;
  /** Do not sign out on 401 (the sign-in calls handle it themselves). */
  keepSession?: boolean;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

function url(path: string, query?: RequestOptions['query']): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function errorFrom(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as ApiErrorBody;
    if (body && body.error && typeof body.error.message === 'string') {
      return new ApiError(res.status, body.error.code ?? 'error', body.error.message, body.error.details);
    }
  } catch {
    // not JSON: described below
  }
  if (res.status === 502 || res.status === 503 || res.status === 504 || (res.status === 500 && !text)) {
    return new ApiError(res.status, 'unavailable', `The Weft server is not reachable (HTTP ${res.status}).`);
  }
  if (res.status === 404 && text.startsWith('<')) {
    return new ApiError(404, 'not_found', 'This address has no Weft API behind it (HTTP 404).');
  }
  return new ApiError(res.status, 'http', `The server answered HTTP ${res.status} ${res.statusText}`.trim() + '.');
}

/** Calls the API; returns parsed JSON (or text for YAML), `null` for 204. */
export async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const method = (options.method ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  const csrf = useAuth.getState().session?.csrf_token;
  if (csrf && !SAFE_METHODS.has(method)) headers['X-CSRF-Token'] = csrf;
  headers.Accept = options.accept === 'yaml' ? 'application/yaml' : 'application/json';
  let body: BodyInit | undefined;
  if (options.body !== undefined) {
    if (options.yaml) {
      headers['Content-Type'] = 'application/yaml';
      body = String(options.body);
    } else {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
  }
  let res: Response;
  try {
    res = await fetch(url(path, options.query), {
      method,
      headers,
      body,
      signal: options.signal,
      credentials: 'same-origin',
    });
  } catch (e) {
    if (e instanceof DOMException && e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', 'Cannot reach the Weft server. Is `weft serve` running?');
  }
  if (res.status === 401 && !options.keepSession) {
    useAuth.getState().signedOut('Your session has expired. Sign in again.');
  }
  if (!res.ok) throw await errorFrom(res);
  if (res.status === 204) return null as T;
  if (options.accept === 'yaml') return (await res.text()) as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : null) as T;
}

/** A readable message for any thrown value. */
export function describeError(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

export function isAbort(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}
