// What the canvas and the palette know about each action kind beyond the server's catalog: an
// icon, a tint, the config a new step starts with, the fields shown first in its form, and a
// one-line summary for its node. A kind the server adds later works without an entry here.
import {
  Braces,
  Clock,
  GitBranch,
  Globe,
  Hand,
  Hourglass,
  OctagonX,
  Puzzle,
  Reply,
  Send,
  Split,
  Timer,
  Webhook,
  Workflow,
  type LucideIcon,
} from 'lucide-react';
import type { Step, Trigger } from '../lib/types';

export interface ActionMeta {
  title: string;
  description: string;
  icon: LucideIcon;
  /** A CSS colour for the icon tile. */
  tint: string;
  defaults: unknown;
  /** Fields of `with:` always shown; others go under "More options" until set. */
  primary?: string[];
  /** The credential types its `with.credential` takes (all when absent). */
  credentialKinds?: string[];
  summary?: (step: Step) => string;
}

type With = Record<string, unknown>;
const cfg = (step: Step): With => (step.with && typeof step.with === 'object' ? (step.with as With) : {});
const text = (v: unknown): string => (typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v));

/** Shortens a URL for display: drops `{{env.X}}` bases and the scheme/host. */
export function shortUrl(url: string): string {
  return url.replace(/^\{\{\s*env\.[A-Za-z0-9_]+\s*\}\}/, '').replace(/^https?:\/\/[^/]+/, '') || url;
}

export const ACTIONS: Record<string, ActionMeta> = {
  http: {
    title: 'HTTP request',
    description: 'Call an API and use its response.',
    icon: Globe,
    tint: '#2563eb',
    defaults: { method: 'GET', url: '' },
    primary: ['method', 'url', 'headers', 'query', 'json', 'credential'],
    credentialKinds: ['bearer', 'basic', 'api_key', 'header', 'oauth2'],
    summary: (s) => {
      const w = cfg(s);
      const url = text(w.url);
      return `${text(w.method) || 'GET'} ${url ? shortUrl(url) : '(no URL)'}`;
    },
  },
  set: {
    title: 'Set data',
    description: 'Build a value from earlier data.',
    icon: Braces,
    tint: '#7c3aed',
    defaults: { value: {} },
    summary: (s) => {
      const v = cfg(s).value;
      return v && typeof v === 'object' && !Array.isArray(v) ? `{ ${Object.keys(v).slice(0, 3).join(', ')}${Object.keys(v).length > 3 ? ', …' : ''} }` : text(v);
    },
  },
  if: {
    title: 'If',
    description: 'Branch on a condition: true or false.',
    icon: GitBranch,
    tint: '#d97706',
    defaults: { condition: '' },
    summary: (s) => text(cfg(s).condition),
  },
  switch: {
    title: 'Switch',
    description: 'Branch on a value: one output per case.',
    icon: Split,
    tint: '#d97706',
    defaults: { value: '', cases: { first: 'a' } },
    summary: (s) => text(cfg(s).value),
  },
  respond: {
    title: 'Respond',
    description: 'Answer the webhook caller.',
    icon: Reply,
    tint: '#059669',
    defaults: { status: 200, body: {} },
    summary: (s) => `HTTP ${text(cfg(s).status) || '200'}`,
  },
  delay: {
    title: 'Delay',
    description: 'Wait for a while, then go on.',
    icon: Timer,
    tint: '#64748b',
    defaults: { duration: '1s' },
    summary: (s) => `Wait ${text(cfg(s).duration)}`,
  },
  webhook: {
    title: 'Outgoing webhook',
    description: 'Send a signed message, retried until it is delivered.',
    icon: Send,
    tint: '#0891b2',
    defaults: { url: '', body: {} },
    primary: ['url', 'body', 'credential', 'wait'],
    // The signing secret; a webhook is never sent with an outbound credential.
    credentialKinds: ['secret'],
    summary: (s) => {
      const url = text(cfg(s).url);
      return `POST ${url ? shortUrl(url) : '(no URL)'}${cfg(s).credential ? ' · signed' : ''}`;
    },
  },
  wait: {
    title: 'Wait',
    description: 'Pause for a while, until a time, or until someone answers (approvals).',
    icon: Hourglass,
    tint: '#b45309',
    defaults: { for: 'callback', timeout: '3d' },
    primary: ['for', 'duration', 'until', 'timeout', 'form'],
    summary: (s) => {
      const w = cfg(s);
      if (w.for === 'callback') return `Until answered${w.timeout ? ` (≤ ${text(w.timeout)})` : ''}${w.form ? ' · form' : ''}`;
      if (w.duration) return `For ${text(w.duration)}`;
      if (w.until) return `Until ${text(w.until)}`;
      return '(nothing to wait for)';
    },
  },
  workflow: {
    title: 'Run a workflow',
    description: 'Call another workflow by name and use its result.',
    icon: Workflow,
    tint: '#4f46e5',
    defaults: { workflow: '', input: {} },
    primary: ['workflow', 'input', 'wait'],
    summary: (s) => {
      const w = cfg(s);
      return `${text(w.workflow) || '(no workflow)'}${w.wait === false ? ' · no wait' : ''}`;
    },
  },
  fail: {
    title: 'Fail',
    description: 'Stop the run with an error.',
    icon: OctagonX,
    tint: '#dc2626',
    defaults: { message: 'Stopped' },
    summary: (s) => text(cfg(s).message),
  },
};

export const ACTION_ORDER = ['http', 'webhook', 'workflow', 'set', 'if', 'switch', 'respond', 'delay', 'wait', 'fail'];

export function actionMeta(kind: string): ActionMeta {
  return ACTIONS[kind] ?? { title: kind, description: '', icon: Puzzle, tint: '#64748b', defaults: {} };
}

export interface TriggerMeta {
  title: string;
  icon: LucideIcon;
  summary: (t: Trigger) => string;
}

export const TRIGGERS: Record<Trigger['type'], TriggerMeta> = {
  webhook: {
    title: 'Webhook',
    icon: Webhook,
    summary: (t) => (t.type === 'webhook' ? `${(t.methods ?? ['POST']).join(', ')} /hooks/${t.path}` : ''),
  },
  schedule: { title: 'Schedule', icon: Clock, summary: (t) => (t.type === 'schedule' ? t.cron : '') },
  manual: { title: 'Manual', icon: Hand, summary: () => 'Run by hand or through the API' },
};

export function triggerMeta(type: string): TriggerMeta {
  return TRIGGERS[type as Trigger['type']] ?? TRIGGERS.manual;
}
