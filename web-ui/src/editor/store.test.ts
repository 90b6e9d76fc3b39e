import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Workflow, WorkflowDocument } from '../lib/types';
import { hasUnsavedChanges } from './hooks';
import { useEditor } from './store';
import { TRIGGER_ID, isStepNode } from './types';
import { seedCatalog } from '../test/catalog';

beforeAll(seedCatalog);

const doc: WorkflowDocument = {
  name: 'Chain',
  trigger: { type: 'webhook', path: 'chain' },
  steps: [
    { id: 'a', action: 'http', with: { url: 'http://x/a' } },
    { id: 'b', action: 'http', with: { url: 'http://x/{{steps.a.body.id}}' } },
    { id: 'c', action: 'respond', with: { body: '{{steps.b.body}}' } },
  ],
};

const record: Workflow = {
  id: 'w1',
  name: 'Chain',
  description: null,
  active: false,
  version: 1,
  trigger: { type: 'webhook', path: 'chain' },
  webhook_url: 'http://127.0.0.1:8080/hooks/chain',
  webhook_test_url: 'http://127.0.0.1:8080/hooks-test/chain',
  source_format: 'json',
  created_at: '',
  updated_at: '',
  workflow: doc,
};
const s = () => useEditor.getState();
const ids = () => s().nodes.filter(isStepNode).map((n) => n.id);
const edges = () => s().edges.map((e) => `${e.source}${e.sourceHandle ? `.${e.sourceHandle}` : ''}->${e.target}`);

beforeEach(() => s().load(structuredClone(record)));

describe('editor store', () => {
  it('loads a document and gives it back unchanged', () => {
    expect(s().document()).toStrictEqual(doc);
    expect(JSON.parse(s().savedJson)).toStrictEqual(doc);
  });

  it('adds a step after the selected one, connected, and undoes/redoes it', () => {
    s().select(['c']);
    const id = s().addStep('delay', { duration: '1s' });
    expect(id).toBe('delay_1');
    expect(ids()).toEqual(['a', 'b', 'c', 'delay_1']);
    expect(edges()).toContain('c->delay_1');
    expect(s().document().steps![3]).toMatchObject({ id: 'delay_1', action: 'delay', with: { duration: '1s' } });
    expect('after' in s().document().steps![3]).toBe(false);
    s().undo();
    expect(ids()).toEqual(['a', 'b', 'c']);
    expect(s().document()).toStrictEqual(doc);
    s().redo();
    expect(ids()).toEqual(['a', 'b', 'c', 'delay_1']);
  });

  it('keeps the chain when a middle step is deleted', () => {
    s().select(['b']);
    s().deleteSelection();
    expect(ids()).toEqual(['a', 'c']);
    expect(edges()).toEqual([`${TRIGGER_ID}->a`, 'a->c']);
    expect(s().document().steps!.every((x) => !('after' in x))).toBe(true);
  });

  it('does not delete the trigger', () => {
    s().select([TRIGGER_ID]);
    s().deleteSelection();
    expect(s().nodes.some((n) => n.id === TRIGGER_ID)).toBe(true);
  });

  it('refuses cycles and self connections', () => {
    expect(s().canConnect({ source: 'c', target: 'a', sourceHandle: null, targetHandle: null })).toMatch(/cycle/);
    expect(s().canConnect({ source: 'a', target: 'a', sourceHandle: null, targetHandle: null })).toMatch(/itself/);
    expect(s().canConnect({ source: 'a', target: TRIGGER_ID, sourceHandle: null, targetHandle: null })).toMatch(/trigger/);
    expect(s().canConnect({ source: TRIGGER_ID, target: 'c', sourceHandle: null, targetHandle: null })).toBeNull();
  });

  it('writes after when a connection changes the implicit order', () => {
    s().connect({ source: 'a', target: 'c', sourceHandle: null, targetHandle: null });
    expect(s().document().steps![2].after).toEqual(['a', 'b']);
    s().undo();
    expect(s().document()).toStrictEqual(doc);
  });

  it('renames a step with its references and edges', () => {
    expect(s().renameStep('a', 'create_user')).toBeNull();
    expect(ids()).toEqual(['create_user', 'b', 'c']);
    expect(edges()).toContain('create_user->b');
    expect(s().document().steps![1].with).toEqual({ url: 'http://x/{{steps.create_user.body.id}}' });
    expect(s().renameStep('b', 'c')).toMatch(/already exists/);
    expect(s().renameStep('b', '9x')).toMatch(/lower-case/);
  });

  it('coalesces typing in one field into one undo step', () => {
    s().updateStep('a', (x) => ({ ...x, with: { url: 'http://x/a1' } }), 'with.url');
    s().updateStep('a', (x) => ({ ...x, with: { url: 'http://x/a12' } }), 'with.url');
    s().updateStep('a', (x) => ({ ...x, with: { url: 'http://x/a123' } }), 'with.url');
    expect(s().past.length).toBe(1);
    s().undo();
    expect(s().document()).toStrictEqual(doc);
  });

  it('copies and pastes steps with fresh ids and their inner edges', () => {
    s().select(['a', 'b']);
    expect(s().copy().map((x) => x.id)).toEqual(['a', 'b']);
    s().paste();
    expect(ids()).toEqual(['a', 'b', 'c', 'a_1', 'b_1']);
    expect(edges()).toContain('a_1->b_1');
    const pasted = s().document().steps!.find((x) => x.id === 'b_1')!;
    expect(pasted.with).toEqual({ url: 'http://x/{{steps.a_1.body.id}}' });
  });

  it('replaces a step from YAML and rewires its edges from after', () => {
    expect(s().replaceStep('c', { id: 'c', action: 'respond', after: [], with: { status: 201 } })).toBeNull();
    expect(edges()).toContain(`${TRIGGER_ID}->c`);
    expect(edges()).not.toContain('b->c');
    expect(s().document().steps![2]).toEqual({ id: 'c', action: 'respond', after: [], with: { status: 201 } });
  });

  it('lays out again and drops the saved positions', () => {
    s().onNodesChange([{ type: 'position', id: 'b', position: { x: 999, y: 999 }, dragging: true }]);
    expect(s().document().steps![1].ui).toEqual({ x: 999, y: 999 });
    s().layout();
    expect(s().document()).toStrictEqual(doc);
  });

  it('lights steps up from events and keeps the last run for completion', () => {
    s().startRun('x1');
    // The events as `weft serve` sends them (`sse_of` in crates/api/src/v1/executions.rs).
    s().applyStepEvent({ type: 'started', step_id: 'a', item_index: null, attempt: 1, at: '2026-01-01T00:00:00Z' });
    expect(s().run!.steps.a.status).toBe('running');
    s().applyStepEvent({ type: 'retrying', step_id: 'a', item_index: null, attempt: 1, error: 'HTTP 503', delay_ms: 200 });
    expect(s().run!.steps.a).toMatchObject({ status: 'retrying', attempt: 1 });
    s().applyStepEvent({ type: 'started', step_id: 'a', item_index: null, attempt: 2, at: '2026-01-01T00:00:01Z' });
    expect(s().run!.steps.a).toMatchObject({ status: 'running', attempt: 2 });
    s().applyStepEvent({
      type: 'finished',
      step_id: 'a',
      action: 'http',
      status: 'succeeded',
      attempts: 2,
      input: { url: 'http://x/a' },
      output: { body: { id: 1 } },
      started_at: '2026-01-01T00:00:01Z',
      finished_at: '2026-01-01T00:00:01Z',
      duration_us: 2709,
    });
    expect(s().run!.steps.a.status).toBe('succeeded');
    expect(s().run!.steps.a.attempt).toBe(2);
    expect(s().run!.steps.a.result).toMatchObject({ action: 'http', output: { body: { id: 1 } }, duration_us: 2709 });
    expect(s().run!.steps.a.result).not.toHaveProperty('type');
    s().finishRun('succeeded');
    expect(s().run!.status).toBe('succeeded');
  });

  it('shows a version read-only and comes back to the draft', () => {
    s().select(['c']);
    s().addStep('delay', {});
    s().view({ ...doc, steps: doc.steps!.slice(0, 1) }, { kind: 'version', version: 1 });
    expect(ids()).toEqual(['a']);
    expect(s().addStep('delay', {})).toBe('');
    s().selectAll();
    s().deleteSelection();
    expect(ids()).toEqual(['a']);
    s().undo();
    s().backToDraft();
    expect(ids()).toEqual(['a', 'b', 'c', 'delay_1']);
  });

  it('has nothing left to save once closed, so leaving is asked about once', () => {
    s().select(['c']);
    s().addStep('delay', {});
    expect(hasUnsavedChanges()).toBe(true);
    s().close();
    expect(hasUnsavedChanges()).toBe(false);
    expect(s().record).toBeNull();
    expect(ids()).toEqual([]);
  });

  it('has nothing left to save once closed while an execution is shown over a changed draft', () => {
    s().select(['c']);
    s().addStep('delay', {});
    s().view(doc, { kind: 'execution', executionId: 'e1', version: 1 });
    expect(hasUnsavedChanges()).toBe(true);
    s().close();
    expect(hasUnsavedChanges()).toBe(false);
  });
});
