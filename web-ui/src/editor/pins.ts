// The open workflow's test data: a pinned trigger event and pinned step outputs, kept on the
// server (`/workflows/{id}/pins`). Test runs from the editor use them instead of calling out;
// production runs never do. Previews and completion read them before the last run's data.
import { create } from 'zustand';
import { toast } from '../app/toast';
import { workflowsApi } from '../features/workflows/api';
import type { TriggerPin } from '../lib/types';
import type { LastRunData } from './completion';
import { useEditor } from './store';

interface PinsState {
  workflowId: string | null;
  trigger: TriggerPin | null;
  steps: Record<string, unknown>;
  load: (workflowId: string) => Promise<void>;
  pinStep: (stepId: string, output: unknown) => Promise<boolean>;
  unpinStep: (stepId: string) => Promise<boolean>;
  pinTrigger: (trigger: TriggerPin | null) => Promise<boolean>;
  /** Forgets the pins of steps the workflow no longer has (after a delete or a rename). */
  clear: () => void;
}

export const usePins = create<PinsState>((set, get) => {
  async function save(trigger: TriggerPin | null, steps: Record<string, unknown>, what: string): Promise<boolean> {
    const id = get().workflowId;
    if (!id) return false;
    // Pins of steps the saved version no longer has (renamed, deleted) are let go.
    const known = savedStepIds();
    const kept = Object.fromEntries(Object.entries(steps).filter(([k]) => known.has(k)));
    try {
      const saved = await workflowsApi.savePins(id, { trigger, steps: kept });
      if (get().workflowId === id) set({ trigger: saved.trigger ?? null, steps: saved.steps as Record<string, unknown> });
      return true;
    } catch (e) {
      toast.error(`Could not ${what}.`, e);
      return false;
    }
  }
  return {
    workflowId: null,
    trigger: null,
    steps: {},
    load: async (workflowId) => {
      set({ workflowId, trigger: null, steps: {} });
      try {
        const pins = await workflowsApi.pins(workflowId);
        if (get().workflowId === workflowId) set({ trigger: pins.trigger ?? null, steps: pins.steps as Record<string, unknown> });
      } catch {
        // no pins shown; a test run still works without them
      }
    },
    pinStep: (stepId, output) => save(get().trigger, { ...get().steps, [stepId]: output }, 'pin the output'),
    unpinStep: (stepId) => {
      const steps = { ...get().steps };
      delete steps[stepId];
      return save(get().trigger, steps, 'unpin the output');
    },
    pinTrigger: (trigger) => save(trigger, get().steps, trigger ? 'pin the test event' : 'unpin the test event'),
    clear: () => set({ workflowId: null, trigger: null, steps: {} }),
  };
});

/** The step ids of the version the server has (what pins and test runs may name). */
export function savedStepIds(): Set<string> {
  return new Set((useEditor.getState().record?.workflow.steps ?? []).map((s) => s.id));
}

export function hasPins(s: Pick<PinsState, 'trigger' | 'steps'>): boolean {
  return !!s.trigger || Object.keys(s.steps).length > 0;
}

/** The data templates are previewed and completed against: pins first, then the last run. */
export function sampleData(lastRun: LastRunData | null, pins: Pick<PinsState, 'trigger' | 'steps'>): LastRunData | null {
  if (!lastRun && !hasPins(pins)) return null;
  const request = pins.trigger ? { ...(lastRun?.request ?? {}), body: pins.trigger.body, headers: pins.trigger.headers ?? {}, query: pins.trigger.query ?? {} } : (lastRun?.request ?? null);
  return { request, outputs: { ...(lastRun?.outputs ?? {}), ...pins.steps } };
}
