// Output ports of branching actions: `if` has `true`/`false`; `switch` has its case names and
// `default`. Other actions have one output and no port.
import type { Step } from '../lib/types';

export const BRANCH_ACTIONS = new Set(['if', 'switch']);

export function isBranch(action: string): boolean {
  return BRANCH_ACTIONS.has(action);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The step's ports in display order, or `null` for a single-output step. */
export function portsOf(step: Pick<Step, 'action' | 'with'>): string[] | null {
  if (step.action === 'if') return ['true', 'false'];
  if (step.action === 'switch') {
    const cases = isRecord(step.with) && isRecord(step.with.cases) ? Object.keys(step.with.cases) : [];
    return [...cases.filter((c) => c !== 'default'), 'default'];
  }
  return null;
}
