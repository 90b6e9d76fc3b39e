// An in-memory stand-in for the Weft REST API, served through Playwright's request routing.
// Used by scripts/screenshots.mjs to picture the editor's screens without a server; the real
// end-to-end test (e2e/editor.spec.mjs) runs against `weft serve`. Its answers have the shapes
// of `weft serve`'s (crates/api, records of crates/store/src/records.rs).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const examplesDir = join(here, '..', '..', 'workflows-examples');
const workflowSchema = JSON.parse(readFileSync(join(here, '..', '..', 'docs', 'workflow.schema.json'), 'utf8'));

export const API_KEY = 'weft_demo_key';

const ACTION_TITLES = {
  http: ['HTTP request', 'Calls an HTTP API and returns {status, headers, body}.'],
  set: ['Set', 'Builds a value from templates.'],
  if: ['If', 'Takes port true or false.'],
  switch: ['Switch', 'Takes the port of the first matching case.'],
  respond: ['Respond', 'Answers the caller of a sync webhook.'],
  delay: ['Delay', 'Waits for a duration.'],
  fail: ['Fail', 'Stops with an error.'],
};

/** The port rules the server states for its branching actions. */
const PORTS = { if: { keys_of: null, fixed: ['true', 'false'] }, switch: { keys_of: 'cases', fixed: ['default'] } };

function actions() {
  return Object.entries(ACTION_TITLES).map(([kind, [title, description]]) => ({
    kind,
    title,
    description,
    config_schema: { ...workflowSchema.$defs[`action_${kind}`], $defs: workflowSchema.$defs },
    ports: PORTS[kind] ?? null,
  }));
}

const minutesAgo = (m) => new Date(Date.now() - m * 60_000).toISOString();

export function createMockApi({ empty = false, problems = null } = {}) {
  const workflows = new Map();
  const executions = new Map();
  let n = 1;
  const id = (prefix) => `${prefix}-0197${String(n++).padStart(8, '0')}`;

  function addWorkflow(doc, { active = false, age = 60, yaml = null } = {}) {
    const wid = id('wf');
    const w = {
      id: wid,
      name: doc.name,
      description: doc.description ?? null,
      active,
      version: 1,
      created_at: minutesAgo(age * 3),
      updated_at: minutesAgo(age),
      trigger: { type: doc.trigger.type, path: doc.trigger.path ?? null },
      webhook_url: doc.trigger.path ? `http://127.0.0.1:8080/hooks/${doc.trigger.path}` : null,
      webhook_test_url: doc.trigger.path ? `http://127.0.0.1:8080/hooks-test/${doc.trigger.path}` : null,
      source_format: yaml ? 'yaml' : 'json',
      workflow: doc,
      yaml,
      versions: [{ version: 1, created_at: minutesAgo(age), source_format: yaml ? 'yaml' : 'json', workflow: doc }],
    };
    workflows.set(wid, w);
    return w;
  }

  if (!empty) {
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml')).sort();
    files.forEach((f, i) => {
      const text = readFileSync(join(examplesDir, f), 'utf8');
      addWorkflow(parse(text), { active: i % 2 === 0, age: 5 + i * 37, yaml: text });
    });
    const cu = [...workflows.values()].find((w) => w.workflow.trigger.path === 'new-user');
    // Version 2, saved in the editor, waits longer for the CRM.
    cu.workflow = structuredClone(cu.workflow);
    cu.workflow.steps[0].timeout = '20s';
    cu.versions.push({ version: 2, created_at: minutesAgo(3), source_format: 'json', workflow: cu.workflow });
    cu.version = 2;
    const ex = makeExecution(cu, 'succeeded', 4);
    makeExecution(cu, 'failed', 90);
    const ob = [...workflows.values()].find((w) => w.workflow.trigger.path === 'orders');
    makeExecution(ob, 'succeeded', 20);
    void ex;
  }

  function makeExecution(w, status, age) {
    const eid = id('ex');
    const steps = [];
    const attempts = [];
    (w.workflow.steps ?? []).forEach((s, i) => {
      const failed = status === 'failed' && i === 1;
      if (status === 'failed' && i > 1) return; // the steps after a failure never ran
      const started = minutesAgo(age);
      const output = failed ? undefined : s.action === 'http' ? { status: i === 0 ? 201 : 200, headers: { 'content-type': 'application/json' }, body: { id: 7, email: 'ann@example.com', tag: 'customer', created_at: started } } : s.action === 'if' ? { result: true } : { status: 201, headers: {}, body: { user_id: 7 } };
      const error = failed ? `GET http://127.0.0.1:4010/users/7 answered HTTP 503` : undefined;
      const result = {
        step_id: s.id,
        action: s.action,
        status: failed ? 'failed' : 'succeeded',
        attempts: failed ? 3 : 1,
        input: s.with ?? {},
        ...(output !== undefined ? { output } : {}),
        ...(error ? { error } : {}),
        ...(s.action === 'if' ? { port: 'true' } : {}),
        started_at: started,
        finished_at: started,
        duration_us: 12_000 + i * 3_400,
      };
      steps.push(result);
      for (let a = 1; a <= result.attempts; a++) {
        const last = a === result.attempts;
        attempts.push({
          id: id('sr'),
          execution_id: eid,
          execution_attempt: 1,
          step_id: s.id,
          action: s.action,
          item_index: null,
          attempt: a,
          status: last ? result.status : 'retrying',
          is_final: last,
          input: result.input,
          output: last ? (output ?? null) : null,
          error: error ?? null,
          port: result.port ?? null,
          response: null,
          started_at: started,
          finished_at: started,
          duration_us: result.duration_us,
        });
      }
    });
    const reply = { status: 201, headers: {}, body: { user_id: 7 } };
    const x = {
      id: eid,
      workflow_id: w.id,
      version: w.version,
      status,
      trigger_kind: 'webhook',
      request: { kind: 'webhook', method: 'POST', path: `/hooks/${w.workflow.trigger.path ?? ''}`, headers: { 'content-type': 'application/json' }, query: {}, body: { email: 'ann@example.com', amount: 1200, order_id: 'A-17' } },
      response: status === 'succeeded' ? reply : null,
      output: status === 'succeeded' ? reply : null,
      error: status === 'failed' ? { step_id: steps[1]?.step_id, message: steps[1]?.error } : null,
      idempotency_key: null,
      test: false,
      attempt: 1,
      cancel_requested: false,
      retry_of: null,
      created_at: minutesAgo(age),
      started_at: minutesAgo(age),
      finished_at: new Date(Date.now() - age * 60_000 + (status === 'failed' ? 1840 : 48)).toISOString(),
      steps,
      attempts,
    };
    executions.set(eid, x);
    w.last_execution = { id: eid, status, created_at: x.created_at, finished_at: x.finished_at };
    return x;
  }

  const summary = (w) => ({
    id: w.id,
    name: w.name,
    description: w.description,
    active: w.active,
    version: w.version,
    trigger: { type: w.workflow.trigger.type, path: w.workflow.trigger.path ?? null },
    created_at: w.created_at,
    updated_at: w.updated_at,
    last_execution: w.last_execution ?? null,
  });
  const record = (w) => {
    const { yaml: _y, versions: _v, last_execution: _l, ...rest } = w;
    return rest;
  };
  const execSummary = (x) => {
    const { request: _r, response: _p, output: _o, idempotency_key: _i, cancel_requested: _c, steps: _s, attempts: _a, ...rest } = x;
    return rest;
  };

  /** Handles one request: returns {status, body, contentType}. */
  return function handle(method, url, headers, bodyText) {
    const u = new URL(url);
    const path = u.pathname.replace(/^\/api\/v1/, '');
    const body0 = bodyText && path === '/session' ? JSON.parse(bodyText) : null;
    // The session routes: the mock treats every tab as signed in once it posted the key.
    if (path === '/session' && method === 'POST') {
      if (body0?.api_key !== API_KEY) return { status: 401, body: { error: { code: 'unauthorized', message: 'unknown API key' } } };
      return { status: 200, body: { scope: 'admin', csrf_token: 'mock-csrf', expires_at: null } };
    }
    if (path === '/session' && method === 'GET' && !(headers.cookie ?? '').includes('weft_session=')) return { status: 401, body: { error: { code: 'unauthorized', message: 'no session' } } };
    if (path === '/session' && method === 'GET') return { status: 200, body: { scope: 'admin', csrf_token: 'mock-csrf', expires_at: null } };
    if (path === '/session' && method === 'DELETE') return { status: 204, body: null };
    const auth = headers.authorization ?? '';
    const csrf = headers['x-csrf-token'] ?? '';
    if (!path.endsWith('/events') && auth !== `Bearer ${API_KEY}` && !(method === 'GET' || csrf === 'mock-csrf')) return { status: 401, body: { error: { code: 'unauthorized', message: 'missing or unknown API key' } } };
    const body = bodyText ? (headers['content-type']?.includes('yaml') ? parse(bodyText) : JSON.parse(bodyText)) : null;
    let m;
    if (path === '/workflows' && method === 'GET') return { status: 200, body: { items: [...workflows.values()].map(summary), next_cursor: null } };
    if (path === '/workflows' && method === 'POST') {
      if (problems) return { status: 422, body: { error: { code: 'invalid_workflow', message: 'the workflow is not valid', details: { problems } } } };
      return { status: 201, body: record(addWorkflow(body, { age: 0 })) };
    }
    if (path === '/workflows/validate') return { status: 200, body: { valid: !problems, problems: problems ?? [] } };
    if (path === '/actions') return { status: 200, body: { items: actions(), next_cursor: null } };
    if ((m = /^\/workflows\/([^/]+)$/.exec(path))) {
      const w = workflows.get(m[1]);
      if (!w) return { status: 404, body: { error: { code: 'not_found', message: 'no such workflow' } } };
      if (method === 'GET') return headers.accept?.includes('yaml') ? { status: 200, text: w.yaml ?? JSON.stringify(w.workflow), contentType: 'application/yaml' } : { status: 200, body: record(w) };
      if (method === 'PUT') {
        w.workflow = body;
        w.name = body.name;
        w.version += 1;
        w.updated_at = new Date().toISOString();
        w.versions.push({ version: w.version, created_at: w.updated_at, source_format: 'json', workflow: body });
        return { status: 200, body: record(w) };
      }
      if (method === 'DELETE') {
        workflows.delete(m[1]);
        return { status: 204 };
      }
    }
    if ((m = /^\/workflows\/([^/]+)\/(activate|deactivate)$/.exec(path))) {
      const w = workflows.get(m[1]);
      w.active = m[2] === 'activate';
      return { status: 200, body: record(w) };
    }
    if ((m = /^\/workflows\/([^/]+)\/versions$/.exec(path))) {
      const w = workflows.get(m[1]);
      const items = w.versions.map((v) => ({ version: v.version, source_format: v.source_format, created_at: v.created_at, current: v.version === w.version })).reverse();
      return { status: 200, body: { items, next_cursor: null } };
    }
    if ((m = /^\/workflows\/([^/]+)\/versions\/(\d+)$/.exec(path))) {
      const w = workflows.get(m[1]);
      return { status: 200, body: w.versions.find((v) => v.version === Number(m[2])) };
    }
    if ((m = /^\/workflows\/([^/]+)\/run$/.exec(path))) {
      const w = workflows.get(m[1]);
      const x = makeExecution(w, 'succeeded', 0);
      return { status: 202, body: { execution_id: x.id, status_url: `/api/v1/executions/${x.id}`, duplicate: false } };
    }
    if ((m = /^\/workflows\/([^/]+)\/test-event$/.exec(path))) return { status: 204 };
    if (path === '/executions') {
      const wid = u.searchParams.get('workflow_id');
      const st = u.searchParams.get('status');
      const items = [...executions.values()].filter((x) => (!wid || x.workflow_id === wid) && (!st || x.status === st)).sort((a, b) => b.created_at.localeCompare(a.created_at));
      return { status: 200, body: { items: items.map(execSummary), next_cursor: null } };
    }
    if ((m = /^\/executions\/([^/]+)\/events$/.exec(path))) {
      const x = executions.get(m[1]);
      const events = x.steps
        .flatMap((s) => [`event: step\ndata: ${JSON.stringify({ type: 'started', step_id: s.step_id, item_index: null, attempt: 1, at: s.started_at })}\n\n`, `event: step\ndata: ${JSON.stringify({ ...s, type: 'finished' })}\n\n`])
        .join('');
      return { status: 200, text: `${events}event: execution\ndata: ${JSON.stringify({ status: x.status })}\n\n`, contentType: 'text/event-stream' };
    }
    if ((m = /^\/executions\/([^/]+)$/.exec(path))) {
      const x = executions.get(m[1]);
      return x ? { status: 200, body: x } : { status: 404, body: { error: { code: 'not_found', message: 'no such execution' } } };
    }
    if ((m = /^\/executions\/([^/]+)\/retry$/.exec(path))) {
      const old = executions.get(m[1]);
      const x = makeExecution(workflows.get(old.workflow_id), 'succeeded', 0);
      return { status: 202, body: { execution_id: x.id, status_url: `/api/v1/executions/${x.id}`, duplicate: false } };
    }
    return { status: 404, body: { error: { code: 'not_found', message: `no route ${method} ${path}` } } };
  };
}

/** Routes the page's `/api/v1` calls to a mock. */
export async function installMockApi(page, options) {
  const handle = createMockApi(options);
  await page.route('**/api/v1/**', async (route) => {
    const req = route.request();
    const res = handle(req.method(), req.url(), req.headers(), req.postData());
    if (res.status === 204) return route.fulfill({ status: 204, body: '' });
    await route.fulfill({
      status: res.status,
      contentType: res.contentType ?? 'application/json',
      body: res.text ?? JSON.stringify(res.body),
    });
  });
  return handle;
}
