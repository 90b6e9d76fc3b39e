import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { WorkflowDocument } from '../lib/types';
import {
  edgesOf,
  fromGraph,
  makeEdge,
  renameReferences,
  resolveAfter,
  toGraph,
  upstreamSteps,
  wouldCycle,
} from './model';
import { NODE_WIDTH, nodeSize } from './layout';
import { portsOf } from './ports';
import { TRIGGER_ID, isStepNode, type WeftNode } from './types';
import { seedCatalog } from '../test/catalog';

beforeAll(seedCatalog);

const examplesDir = join(__dirname, '..', '..', '..', 'workflows-examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
  .map((f) => ({ file: f, doc: parse(readFileSync(join(examplesDir, f), 'utf8')) as WorkflowDocument }));

function example(name: string): WorkflowDocument {
  return examples.find((e) => e.file === name)!.doc;
}

describe('workflow → graph → workflow', () => {
  it('finds the example workflows', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  for (const { file, doc } of examples) {
    it(`round-trips ${file} to a deep-equal model`, () => {
      const g = toGraph(doc);
      expect(fromGraph(g.meta, g.nodes, g.edges)).toStrictEqual(doc);
    });

    it(`round-trips ${file} with positions written to ui`, () => {
      const g = toGraph(doc);
      const pinned = g.nodes.map((n) => (isStepNode(n) ? { ...n, data: { ...n.data, pinned: true } } : n));
      const saved = fromGraph(g.meta, pinned, g.edges);
      for (const s of saved.steps ?? []) expect(s.ui).toEqual({ x: expect.any(Number), y: expect.any(Number) });
      const again = toGraph(saved);
      expect(fromGraph(again.meta, again.nodes, again.edges)).toStrictEqual(saved);
      // positions come back from ui
      for (const n of again.nodes.filter(isStepNode)) {
        expect(n.position).toEqual(pinned.find((p) => p.id === n.id)!.position);
      }
    });
  }

  it('keeps unknown and untouched step fields and their order', () => {
    const doc: WorkflowDocument = {
      name: 'x',
      trigger: { type: 'manual' },
      future_field: { a: 1 },
      steps: [
        { id: 'a', action: 'http', with: { url: 'http://x' }, retry: { max_attempts: 2 }, timeout: '1s', custom: [1] },
        { id: 'b', action: 'set', for_each: '{{steps.a.body}}', concurrency: 3, continue_on_error: true, with: { value: 1 } },
      ],
    };
    const g = toGraph(doc);
    const back = fromGraph(g.meta, g.nodes, g.edges);
    expect(back).toStrictEqual(doc);
    expect(Object.keys(back.steps![0])).toEqual(Object.keys(doc.steps![0]));
  });

  it('writes after only when it differs from the implicit rule', () => {
    const doc: WorkflowDocument = {
      name: 'x',
      trigger: { type: 'manual' },
      steps: [
        { id: 'a', action: 'set', with: { value: 1 } },
        { id: 'b', action: 'set', with: { value: 2 } },
        { id: 'c', action: 'set', with: { value: 3 } },
      ],
    };
    const g = toGraph(doc);
    // c now runs right after the trigger, and b after the trigger too
    const edges = [makeEdge(TRIGGER_ID, null, 'a'), makeEdge(TRIGGER_ID, null, 'b'), makeEdge('a', null, 'c'), makeEdge('b', null, 'c')];
    const back = fromGraph(g.meta, g.nodes, edges);
    expect(back.steps!.map((s) => s.after)).toEqual([undefined, [], ['a', 'b']]);
    expect('after' in back.steps![0]).toBe(false);
    // put the chain back: after disappears again
    const chain = [makeEdge(TRIGGER_ID, null, 'a'), makeEdge('a', null, 'b'), makeEdge('b', null, 'c')];
    const again = fromGraph(back as never, toGraph(back).nodes, chain);
    expect(again.steps!.every((s) => !('after' in s))).toBe(true);
  });

  it('writes after: [] for a step left without inputs, and drops a redundant trigger input', () => {
    const doc: WorkflowDocument = {
      name: 'x',
      trigger: { type: 'manual' },
      steps: [
        { id: 'a', action: 'set', with: { value: 1 } },
        { id: 'b', action: 'set', with: { value: 2 } },
      ],
    };
    const g = toGraph(doc);
    expect(fromGraph(g.meta, g.nodes, [makeEdge(TRIGGER_ID, null, 'a')]).steps![1].after).toEqual([]);
    const both = [makeEdge(TRIGGER_ID, null, 'a'), makeEdge(TRIGGER_ID, null, 'b'), makeEdge('a', null, 'b')];
    expect('after' in fromGraph(g.meta, g.nodes, both).steps![1]).toBe(false);
  });

  it('keeps the implicit rule when steps are reordered', () => {
    const doc = example('create-user.yaml');
    const g = toGraph(doc);
    // Swap get_user and tag_user in the list but keep the edges: tag_user needs an explicit after now.
    const nodes = [...g.nodes];
    const i = nodes.findIndex((n) => n.id === 'get_user');
    [nodes[i], nodes[i + 1]] = [nodes[i + 1], nodes[i]];
    const back = fromGraph(g.meta, nodes, g.edges);
    expect(back.steps!.map((s) => [s.id, s.after])).toEqual([
      ['create_user', undefined],
      ['tag_user', ['get_user']],
      ['get_user', ['create_user']],
      ['reply', ['tag_user']],
    ]);
  });
});

describe('edges', () => {
  it('come from after, the implicit previous step, and after: [] from the trigger', () => {
    const edges = edgesOf(example('parallel-enrich.yaml').steps!);
    expect(edges.map((e) => `${e.source}->${e.target}`)).toEqual([
      `${TRIGGER_ID}->company`,
      `${TRIGGER_ID}->person`,
      'company->lead',
      'person->lead',
      'lead->reply',
    ]);
  });

  it('leave if/switch steps from the port handles', () => {
    const edges = edgesOf(example('order-branch.yaml').steps!);
    const ported = edges.filter((e) => e.source === 'big_order').map((e) => [e.sourceHandle, e.target]);
    expect(ported).toEqual([
      ['true', 'notify_sales'],
      ['false', 'standard_order'],
    ]);
    const g = toGraph(example('order-branch.yaml'));
    expect(g.nodes.find((n) => n.id === 'big_order')!.type).toBe('branch');
    expect(g.nodes.find((n) => n.id === 'reply')!.type).toBe('step');
  });

  it('use switch case names and default as ports', () => {
    const doc: WorkflowDocument = {
      name: 's',
      trigger: { type: 'manual' },
      steps: [
        { id: 'plan', action: 'switch', with: { value: '{{trigger.body.plan}}', cases: { free: 'free', pro: 'pro' } } },
        { id: 'a', action: 'set', after: ['plan.free'], with: { value: 1 } },
        { id: 'b', action: 'set', after: ['plan.pro', 'plan.default'], with: { value: 2 } },
      ],
    };
    const g = toGraph(doc);
    expect(g.edges.map((e) => [e.source, e.sourceHandle, e.target])).toEqual([
      [TRIGGER_ID, null, 'plan'],
      ['plan', 'free', 'a'],
      ['plan', 'pro', 'b'],
      ['plan', 'default', 'b'],
    ]);
    expect(fromGraph(g.meta, g.nodes, g.edges)).toStrictEqual(doc);
  });

  it('skip references to unknown steps (validation reports them)', () => {
    const steps = [{ id: 'a', action: 'set', after: ['ghost'] }];
    expect(edgesOf(steps)).toEqual([]);
  });

  it('resolve after by the rules', () => {
    const steps = [{ id: 'a' }, { id: 'b' }];
    expect(resolveAfter(undefined, steps, 0)).toEqual([{ source: TRIGGER_ID }]);
    expect(resolveAfter(undefined, steps, 1)).toEqual([{ source: 'a' }]);
    expect(resolveAfter([], steps, 1)).toEqual([{ source: TRIGGER_ID }]);
    expect(resolveAfter(['a.true'], steps, 1)).toEqual([{ source: 'a', port: 'true' }]);
  });
});

describe('graph helpers', () => {
  it('finds upstream steps', () => {
    const steps = example('order-branch.yaml').steps!;
    expect(upstreamSteps(steps, 'reply')).toEqual(['big_order', 'notify_sales', 'standard_order']);
    expect(upstreamSteps(steps, 'big_order')).toEqual([]);
    expect(upstreamSteps(example('parallel-enrich.yaml').steps!, 'person')).toEqual([]);
  });

  it('detects cycles', () => {
    const edges = edgesOf(example('create-user.yaml').steps!);
    expect(wouldCycle(edges, 'reply', 'create_user')).toBe(true);
    expect(wouldCycle(edges, 'create_user', 'reply')).toBe(false);
    expect(wouldCycle(edges, 'a', 'a')).toBe(true);
  });

  it('renames step references in templates only', () => {
    const value = { url: '{{steps.a.body.id}}/{{steps.ab.x}}', plain: 'steps.a', list: ['{{ steps.a }}'] };
    expect(renameReferences(value, 'a', 'z')).toEqual({
      url: '{{steps.z.body.id}}/{{steps.ab.x}}',
      plain: 'steps.a',
      list: ['{{ steps.z }}'],
    });
  });
});

describe('auto-layout', () => {
  const size = (n: WeftNode) => nodeSize(isStepNode(n) ? (portsOf(n.data.step)?.length ?? 0) : 0);
  /** Whether the boxes of two nodes intersect. */
  function overlaps(a: WeftNode, b: WeftNode) {
    const [sa, sb] = [size(a), size(b)];
    return (
      a.position.x < b.position.x + sb.width &&
      b.position.x < a.position.x + sa.width &&
      a.position.y < b.position.y + sb.height &&
      b.position.y < a.position.y + sa.height
    );
  }

  for (const { file, doc } of examples) {
    it(`places the nodes of ${file} without overlap, left to right`, () => {
      const g = toGraph(doc);
      for (let i = 0; i < g.nodes.length; i++)
        for (let j = i + 1; j < g.nodes.length; j++)
          expect(overlaps(g.nodes[i], g.nodes[j]), `${g.nodes[i].id} / ${g.nodes[j].id}`).toBe(false);
      for (const e of g.edges) {
        const s = g.nodes.find((n) => n.id === e.source)!;
        const t = g.nodes.find((n) => n.id === e.target)!;
        expect(s.position.x).toBeLessThan(t.position.x);
      }
    });
  }

  it('stacks the steps fed by an if in the order of its ports', () => {
    const g = toGraph(example('order-branch.yaml'));
    const y = (id: string) => g.nodes.find((n) => n.id === id)!.position.y;
    expect(y('notify_sales')).toBeLessThan(y('standard_order')); // true above false
  });

  it('ignores ui positions when asked to relayout', () => {
    const doc: WorkflowDocument = {
      name: 'x',
      trigger: { type: 'manual' },
      steps: [
        { id: 'a', action: 'set', ui: { x: 0, y: 0 } },
        { id: 'b', action: 'set', ui: { x: 0, y: 0 } },
      ],
    };
    const g = toGraph(doc, { relayout: true });
    expect(overlaps(g.nodes[1], g.nodes[2])).toBe(false);
    expect(g.nodes.filter(isStepNode).every((n) => !n.data.pinned)).toBe(true);
  });

  it('places the trigger left of the steps it starts when steps have positions', () => {
    const doc: WorkflowDocument = {
      name: 'x',
      trigger: { type: 'manual' },
      steps: [{ id: 'a', action: 'set', ui: { x: 500, y: 100 } }],
    };
    const g = toGraph(doc);
    expect(g.nodes[0].position.x).toBeLessThan(500 - NODE_WIDTH);
    expect(g.nodes[0].position.y).toBe(100);
  });
});
