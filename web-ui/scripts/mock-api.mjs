// An in-memory stand-in for the Weft REST API, served through Playwright's request routing.
// Used by scripts/screenshots.mjs to picture the editor's screens without a server; the real
// end-to-end test (e2e/editor.spec.mjs) runs against `weft serve`.
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

function actions() {
  return Object.entries(ACTION_TITLES).map(([kind, [title, description]]) => ({
    kind,
    title,
    description,
    config_schema: { ...workflowSchema.$defs[`action_${kind}`], $defs: workflowSchema.$defs },
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
      webhook_path: doc.trigger.path ?? null,
      workflow: doc,
      yaml,
      versions: [{ version: 1, created_at: minutesAgo(age), workflow: doc }],
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
    cu.versions.push({ version: 2, created_at: minutesAgo(3), workflow: cu.workflow });
    cu.version = 2;
    const ex = makeExecution(cu, 'succeeded', 4);
    makeExecution(cu, 'failed', 90);
    const ob = [...workflows.values()].find((w) => w.workflow.trigger.path === 'orders');
    makeExecution(ob, 'succeeded', 20);
    void ex;
  }

  function makeExecution(w, status, age) {
    const eid = id('ex');
    const steps = (w.workflow.steps ?? []).map((s, i) => {
      const failed = status === 'failed' && i === 1;
      const skipped = status === 'failed' && i > 1;
      return {
        step_id: s.id,
        action: s.action,
        status: failed ? 'failed' : skipped ? 'skipped' : 'succeeded',
        attempts: failed ? 3 : 1,
        input: s.with ?? null,
        output: skipped || failed ? undefined : s.action === 'http' ? { status: i === 0 ? 201 : 200, headers: { 'content-type': 'application/json' }, body: { id: 7, email: 'ann@example.com', tag: 'customer', created_at: minutesAgo(age) } } : s.action === 'if' ? { result: true } : { status: 201, body: { user_id: 7 } },
        error: failed ? { message: 'HTTP 503 from http://127.0.0.1:4010/users/7', status: 503 } : null,
        port: s.action === 'if' ? 'true' : null,
        started_at: minutesAgo(age),
        finished_at: minutesAgo(age),
        duration_us: 12_000 + i * 3_400,
      };
    });
    const x = {
      id: eid,
      workflow_id: w.id,
      workflow_name: w.name,
      version: w.version,
      status,
      trigger_kind: 'webhook',
      created_at: minutesAgo(age),
      started_at: minutesAgo(age),
      finished_at: minutesAgo(age),
      duration_ms: status === 'failed' ? 1840 : 48,
      error: status === 'failed' ? { step_id: steps[1]?.step_id, message: 'HTTP 503 from the CRM after 3 attempts' } : null,
      request: { method: 'POST', path: `/hooks/${w.workflow.trigger.path ?? ''}`, headers: { 'content-type': 'application/json' }, query: {}, body: { email: 'ann@example.com', amount: 1200, order_id: 'A-17' } },
      response: null,
      output: null,
      steps,
      attempts: [],
    };
    executions.set(eid, x);
    w.last_execution = { id: eid, status, created_at: x.created_at };
    return x;
  }

  const summary = (w) => ({
    id: w.id,
    name: w.name,
    description: w.description,
    trigger: { type: w.workflow.trigger.type, path: w.workflow.trigger.path ?? null, respond: w.workflow.trigger.respond ?? null },
    active: w.active,
    version: w.version,
    created_at: w.created_at,
    updated_at: w.updated_at,
    last_execution: w.last_execution ?? null,
  });
  const record = (w) => {
    const { yaml: _y, versions: _v, last_execution: _l, ...rest } = w;
    return rest;
  };
  const execSummary = (x) => {
    const { request: _r, response: _p, output: _o, steps: _s, attempts: _a, ...rest } = x;
    return rest;
  };

  /** Handles one request: returns {status, body, contentType}. */
  return function handle(method, url, headers, bodyText) {
    const u = new URL(url);
    const path = u.pathname.replace(/^\/api\/v1/, '');
    const auth = headers.authorization ?? '';
    if (!path.endsWith('/events') && auth !== `Bearer ${API_KEY}`) return { status: 401, body: { error: { code: 'unauthorized', message: 'missing or unknown API key' } } };
    const body = bodyText ? (headers['content-type']?.includes('yaml') ? parse(bodyText) : JSON.parse(bodyText)) : null;
    let m;
    if (path === '/workflows' && method === 'GET') return { status: 200, body: { items: [...workflows.values()].map(summary) } };
    if (path === '/workflows' && method === 'POST') {
      if (problems) return { status: 422, body: { error: { code: 'invalid_workflow', message: 'the workflow is not valid', details: { problems } } } };
      return { status: 201, body: record(addWorkflow(body, { age: 0 })) };
    }
    if (path === '/workflows/validate') return { status: 200, body: { valid: !problems, problems: problems ?? [] } };
    if (path === '/actions') return { status: 200, body: actions() };
    if ((m = /^\/workflows\/([^/]+)$/.exec(path))) {
      const w = workflows.get(m[1]);
      if (!w) return { status: 404, body: { error: { code: 'not_found', message: 'no such workflow' } } };
      if (method === 'GET') return headers.accept?.includes('yaml') ? { status: 200, text: w.yaml ?? JSON.stringify(w.workflow), contentType: 'application/yaml' } : { status: 200, body: record(w) };
      if (method === 'PUT') {
        w.workflow = body;
        w.name = body.name;
        w.version += 1;
        w.updated_at = new Date().toISOString();
        w.versions.push({ version: w.version, created_at: w.updated_at, workflow: body });
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
      return { status: 200, body: { items: w.versions.map((v) => ({ version: v.version, name: v.workflow.name, created_at: v.created_at })) } };
    }
    if ((m = /^\/workflows\/([^/]+)\/versions\/(\d+)$/.exec(path))) {
      const w = workflows.get(m[1]);
      return { status: 200, body: w.versions.find((v) => v.version === Number(m[2])) };
    }
    if ((m = /^\/workflows\/([^/]+)\/run$/.exec(path))) {
      const w = workflows.get(m[1]);
      const x = makeExecution(w, 'succeeded', 0);
      return { status: 202, body: { execution_id: x.id, status_url: `/api/v1/executions/${x.id}` } };
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
        .flatMap((s) => [`event: step\ndata: ${JSON.stringify({ type: 'started', step_id: s.step_id, attempt: 1 })}\n\n`, `event: step\ndata: ${JSON.stringify({ type: 'finished', ...s })}\n\n`])
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
      return { status: 202, body: { execution_id: x.id, status_url: `/api/v1/executions/${x.id}` } };
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
