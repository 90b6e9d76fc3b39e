// Output ports of branching actions, by the rule each action's catalog entry states
// (`ActionInfo.ports`, served by `GET /api/v1/actions`): the keys of one field of `with`, in
// order, then fixed names. The editor knows no action by name; the catalog is loaded before a
// workflow opens (EditorPage).
import { useActions } from '../features/actions/hooks';
import type { ActionInfo, Step } from '../lib/types';

type PortRule = NonNullable<ActionInfo['ports']>;

function ruleOf(action: string): PortRule | null {
  return useActions.getState().actions?.find((a) => a.kind === action)?.ports ?? null;
}

export function isBranch(action: string): boolean {
  return ruleOf(action) !== null;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The step's ports in display order, or `null` for a single-output step. */
export function portsOf(step: Pick<Step, 'action' | 'with'>): string[] | null {
  const rule = ruleOf(step.action);
  if (!rule) return null;
  const field = rule.keys_of && isRecord(step.with) ? step.with[rule.keys_of] : undefined;
  const keys = isRecord(field) ? Object.keys(field).filter((k) => !rule.fixed.includes(k)) : [];
  return [...keys, ...rule.fixed];
}
