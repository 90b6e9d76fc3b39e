// End-to-end test of the editor against a running `weft serve`, driving Debian's Chromium with
// playwright-core (no browser download). A plain Node test (node:test):
//
//   WEFT_URL=http://127.0.0.1:8080 WEFT_API_KEY=… WEFT_MOCK_URL=http://127.0.0.1:4010 \
//   SCREENSHOT_DIR=/tmp/weft-shots node --test e2e/
//
// - WEFT_URL: the server, serving the built editor at `/`, the API and the webhooks.
// - WEFT_API_KEY: an API key the server accepts.
// - WEFT_MOCK_URL: the loopback mock API of the Rust tests (`POST /users` → `{id, email…}`),
//   called by the workflow the test builds (default http://127.0.0.1:4010).
// - SCREENSHOT_DIR: where the screenshots go (default e2e-screenshots/).
// - CHROMIUM: the browser binary (default /usr/bin/chromium).
//
// The tests run in order and share one page: each continues from where the previous one left.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const WEFT_URL = (process.env.WEFT_URL ?? '').replace(/\/$/, '');
const API_KEY = process.env.WEFT_API_KEY ?? '';
const MOCK = (process.env.WEFT_MOCK_URL ?? 'http://127.0.0.1:4010').replace(/\/$/, '');
const SHOTS = process.env.SCREENSHOT_DIR ?? join(here, '..', 'e2e-screenshots');
const RUN = Date.now().toString(36);
const HOOK_PATH = `e2e-user-${RUN}`;
const EXAMPLE = join(here, '..', '..', 'workflows-examples', 'create-user.yaml');

if (!WEFT_URL || !API_KEY) throw new Error('Set WEFT_URL and WEFT_API_KEY to a running `weft serve` and one of its API keys.');
mkdirSync(SHOTS, { recursive: true });

/** @type {import('playwright-core').Browser} */
let browser;
/** @type {import('playwright-core').Page} */
let page;
const consoleErrors = [];
let shotNumber = 0;

async function shot(name) {
  shotNumber += 1;
  await page.waitForTimeout(250);
  await page.screenshot({ path: join(SHOTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`) });
}

const byId = (id) => page.getByTestId(id);
const node = (id) => page.locator(`[data-testid="node-${id}"]`);

/** Clicks an empty spot of the canvas (deselects, shows the workflow panel). */
async function clickCanvas() {
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
}

async function api(path, init = {}) {
  const res = await fetch(`${WEFT_URL}${path}`, { ...init, headers: { Authorization: `Bearer ${API_KEY}`, ...(init.headers ?? {}) } });
  return res;
}

/** Creates a workflow from YAML through the API and runs it once; its record and the execution's id. */
async function createAndRun(yaml) {
  const created = await api('/api/v1/workflows', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: yaml });
  assert.equal(created.status, 201);
  const workflow = await created.json();
  const run = await api(`/api/v1/workflows/${workflow.id}/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
  assert.equal(run.status, 202);
  const { execution_id: executionId } = await run.json();
  return { workflow, executionId };
}

async function renameSelectedStep(id) {
  const input = byId('step-id');
  await input.fill(id);
  await input.press('Enter');
  await node(id).waitFor();
}

async function save() {
  await page.keyboard.press('Control+s');
  await page.locator('[data-testid="save-state"]', { hasText: /^Saved · v\d+$/ }).waitFor();
}

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: WEFT_URL }).catch(() => {});
  page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) consoleErrors.push(msg.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(e.message));
  // The editor loads nothing from outside the server.
  await page.route((url) => /^https?:/.test(url.protocol) && !url.href.startsWith(WEFT_URL), (route) => {
    consoleErrors.push(`request outside the server: ${route.request().url()}`);
    return route.abort();
  });
});

after(async () => {
  await browser?.close();
});

describe('the editor', () => {
  test('refuses a wrong API key and signs in with the right one', async () => {
    const res = await page.goto(WEFT_URL);
    const csp = res.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'/);
    await byId('sign-in').waitFor();
    await shot('sign-in');
    await byId('api-key').fill('not-a-key');
    await byId('sign-in-submit').click();
    await byId('sign-in-error').waitFor();
    assert.match(await byId('sign-in-error').innerText(), /refused/i);
    await shot('sign-in-refused');
    await byId('api-key').fill(API_KEY);
    await byId('sign-in-submit').click();
    await byId('workflows-page').waitFor();
    const stored = await page.evaluate(() => Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)]));
    assert.ok(!stored.some(([k, v]) => k === 'weft.apiKey' || (v ?? '').includes(API_KEY)), 'no API key in localStorage');
    assert.ok(!(await page.evaluate(() => document.cookie)).includes('weft_session'), 'weft_session is HttpOnly');
    const cookies = await page.context().cookies();
    assert.ok(cookies.some((c) => c.name === 'weft_session' && c.httpOnly && c.sameSite === 'Strict'));
    // a reload restores the tab from the cookie
    await page.reload();
    await byId('workflows-page').waitFor();
    await shot('workflows');
  });

  test('builds the create-user chain from an empty canvas with the palette and the forms', async () => {
    await byId('new-workflow').first().click();
    await byId('workflow-name-input').fill(`E2E create user ${RUN}`);
    await byId('workflow-trigger-select').selectOption('webhook');
    await byId('workflow-path-input').fill(HOOK_PATH);
    await byId('create-workflow').click();
    await byId('editor').waitFor();
    await node('$trigger').waitFor();
    await shot('empty-canvas');

    // The trigger answers with the workflow's result.
    await node('$trigger').click();
    await byId('trigger-respond').selectOption('sync');
    // A rate limit that does not parse is shown under its field (live validation); cleared, it goes.
    await byId('trigger-rate-limit').fill('ten/s');
    assert.match(await byId('field-error-trigger-rate-limit').innerText(), /expected N\/unit like 100\/s/);
    await byId('trigger-rate-limit').fill('');
    await byId('field-error-trigger-rate-limit').waitFor({ state: 'detached' });
    assert.equal(await byId('production-url').innerText(), `${WEFT_URL}/hooks/${HOOK_PATH}`);

    // create_user: POST {mock}/users with the email from the trigger.
    await node('$trigger').click();
    await byId('palette-http').click();
    await byId('step-panel').waitFor();
    await renameSelectedStep('create_user');
    await byId('with-method').selectOption('POST');
    await byId('with-url').fill(`${MOCK}/users`);
    await byId('with-json').fill('{\n  "email": "{{trigger.body.email}}"\n}');
    // The credential picker offers the server's credentials, by name (never their secrets).
    await page.locator('datalist[id$="-credential-options"] option[value="crm-api"]').waitFor({ state: 'attached' });
    await shot('create-user-form');
    await save();

    // A first run gives the step real output for the picker.
    await clickCanvas();
    await byId('tab-run').click();
    await byId('run-input').fill('{"email": "first@example.com"}');
    await byId('run-now').click();
    await page.locator('[data-testid="node-create_user"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await shot('first-run');
  });

  test('maps the created id into the next step with the field picker', async () => {
    await node('create_user').click();
    await byId('palette-http').click();
    await byId('step-panel').waitFor();
    await renameSelectedStep('get_user');
    const url = byId('with-url');
    await url.fill(`${MOCK}/users/`);
    await url.press('End');
    await byId('picker-create_user').waitFor();
    await byId('pick-steps.create_user.body.id').click();
    assert.equal(await url.inputValue(), `${MOCK}/users/{{steps.create_user.body.id}}`);
    await shot('field-picker');

    // Completion offers the upstream step's paths while typing.
    await url.fill(`${MOCK}/users/{{steps.cre`);
    await byId('completions').waitFor();
    await byId('completion-steps.create_user.body.id').click();
    assert.equal(await url.inputValue(), `${MOCK}/users/{{steps.create_user.body.id}}`);
    // …and the variables the server allow-lists (names from GET /api/v1/environment).
    await url.fill('{{env.');
    await byId('completion-env.API_URL').waitFor();
    await url.fill(`${MOCK}/users/{{steps.create_user.body.id}}`);

    // reply: answer 201 with the id.
    await byId('palette-respond').click();
    await renameSelectedStep('reply');
    await byId('with-status').fill('201');
    // A field picked with the cursor outside a JSON string arrives quoted; typed unquoted, the
    // error says where and why.
    const body = byId('with-body');
    await body.fill('{"user_id": }');
    await body.evaluate((el) => {
      el.focus();
      el.setSelectionRange(12, 12);
      el.dispatchEvent(new Event('select', { bubbles: true }));
    });
    await byId('pick-steps.create_user.body.id').click();
    assert.equal(await body.inputValue(), '{"user_id": "{{steps.create_user.body.id}}"}');
    await body.fill('{"user_id": {{steps.create_user.body.id}}}');
    assert.match(await byId('with-body-json-error').innerText(), /line 1, column 13 is outside quotes/);
    await body.fill('{"user_id": "{{steps.create_user.body.id}}", "email": "{{steps.get_user.body.email}}"}');
    await shot('chain-built');
  });

  test('saves and activates', async () => {
    await save();
    await byId('editor-active').click();
    await page.locator('[data-testid="editor-active"][aria-checked="true"]').waitFor();
    const list = await (await api('/api/v1/workflows')).json();
    const mine = list.items.find((w) => w.trigger.path === HOOK_PATH);
    assert.ok(mine, 'the workflow is listed');
    assert.equal(mine.active, true);
    const full = await (await api(`/api/v1/workflows/${mine.id}`)).json();
    assert.deepEqual(full.workflow.steps.map((s) => s.id), ['create_user', 'get_user', 'reply']);
    assert.ok(full.workflow.steps.every((s) => !('after' in s)), 'a chain needs no `after`');
    await shot('saved-active');
  });

  test('runs from a webhook call: the execution turns green and the node shows the id', async () => {
    const res = await fetch(`${WEFT_URL}/hooks/${HOOK_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'hook@example.com' }),
    });
    assert.equal(res.status, 201);
    const answer = await res.json();
    assert.equal(typeof answer.user_id, 'number');
    assert.equal(answer.email, 'hook@example.com');

    await clickCanvas();
    await byId('tab-executions').click();
    await byId('executions-refresh').click();
    const first = page.locator('[data-testid^="execution-"][data-status="succeeded"]').first();
    await first.waitFor();
    await first.click();
    await byId('view-banner').waitFor();
    for (const id of ['create_user', 'get_user', 'reply']) {
      await page.locator(`[data-testid="node-${id}"][data-status="succeeded"]`).waitFor();
    }
    await node('create_user').click();
    await byId('tab-output').click();
    const output = byId('step-run-output');
    await output.waitFor();
    assert.match(await output.innerText(), new RegExp(`id:\\s*${answer.user_id}\\b`));
    await shot('execution-green');
    await byId('back-to-draft').click();
    await page.locator('[data-testid="view-banner"]').waitFor({ state: 'detached' });
  });

  test('captures a call to the test URL while listening', async () => {
    await node('$trigger').click();
    assert.equal(await byId('test-url').innerText(), `${WEFT_URL}/hooks-test/${HOOK_PATH}`);
    await byId('listen-test-event').click();
    await page.getByText('Listening: call the test URL now').waitFor();
    await page.waitForTimeout(500); // let the long poll reach the server
    const res = await fetch(`${WEFT_URL}/hooks-test/${HOOK_PATH}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'test-event@example.com' }),
    });
    assert.ok(res.status < 300, `the test URL answered ${res.status}`);
    const captured = byId('captured-request');
    await captured.waitFor();
    assert.match(await captured.innerText(), /test-event@example\.com/);
    await shot('test-event');
  });

  test('imports a YAML example and exports it unchanged', async () => {
    const original = readFileSync(EXAMPLE, 'utf8').replace('path: new-user', `path: e2e-import-${RUN}`);
    await page.goto(`${WEFT_URL}/#/workflows`);
    await byId('import-open').click();
    await byId('tab-paste').click();
    await byId('import-text').fill(original);
    await shot('import');
    await byId('import-submit').click();
    await byId('editor').waitFor();
    await node('tag_user').waitFor();
    await shot('imported');
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);

    const exported = async () => {
      const download = page.waitForEvent('download');
      await byId('editor-export').click();
      const file = await download;
      return readFileSync(await file.path(), 'utf8');
    };
    const first = await exported();
    assert.deepEqual(parse(first), parse(original));
    if (first !== original) console.log('note: the export is equivalent to the import but not byte-identical');

    // Saved from the editor (a moved node gets `ui`), the rest of the document is unchanged.
    const box = await node('get_user').boundingBox();
    await page.mouse.move(box.x + 60, box.y + 20);
    await page.mouse.down();
    await page.mouse.move(box.x + 60, box.y + 140, { steps: 8 });
    await page.mouse.up();
    await save();
    const text = await exported();
    const saved = parse(text);
    const moved = saved.steps.find((s) => s.id === 'get_user');
    assert.ok(moved.ui && typeof moved.ui.x === 'number', 'the moved step has a ui position');
    delete moved.ui;
    assert.deepEqual(saved, parse(original));
    const record = await (await api(`/api/v1/workflows/${id}`)).json();
    assert.equal(record.workflow.steps.length, 4);

    // Comments and layout kept: the YAML is edited in place, only what changed is written.
    // One more edit, a rename (the step's id and the references to it change).
    const lines = (t) => t.split('\n');
    const missing = (a, b) => {
      const left = lines(b);
      return lines(a).filter((l) => {
        const i = left.indexOf(l);
        if (i >= 0) left.splice(i, 1);
        return i < 0;
      });
    };
    assert.deepEqual(missing(original, text), [], 'every line of the import is still there');
    const added = missing(text, original);
    assert.equal(added.length, 1, `one line added, the position: ${JSON.stringify(added)}`);
    assert.match(added[0], /^ {4}ui: \{ ?x: -?[\d.]+, y: -?[\d.]+ ?\}$/);
    await node('tag_user').click();
    await renameSelectedStep('tag_customer');
    await save();
    const renamed = await exported();
    const comments = (t) => lines(t).filter((l) => l.trimStart().startsWith('#'));
    assert.ok(comments(original).length >= 2);
    assert.deepEqual(comments(renamed), comments(original), 'every comment kept after the edits');
    for (const l of missing(original, renamed)) assert.match(l, /tag_user/, `only lines naming the renamed step changed, not ${JSON.stringify(l)}`);
    for (const l of missing(renamed, original)) assert.match(l, /tag_customer|ui: /, `only the rename and the position were written, not ${JSON.stringify(l)}`);
    const versions = await (await api(`/api/v1/workflows/${id}`)).json();
    assert.equal(versions.source_format, 'yaml', 'the editor saved YAML');
  });

  test('labels each version and shows the changes between two as a diff of their YAML', async () => {
    await clickCanvas();
    await byId('tab-versions').click();
    const v2 = byId('version-2');
    await v2.waitFor();
    // Version 3 renamed a step (the test before); a YAML workflow stays YAML text when saved.
    assert.match(await byId('version-3').getByTestId('version-label').innerText(), /Version 3\s*current/);
    assert.doesNotMatch(await v2.getByTestId('version-label').innerText(), /current/);
    assert.match(await byId('version-1').innerText(), /YAML text/);
    assert.match(await v2.innerText(), /YAML text/);
    assert.ok((await v2.getByTestId('version-date').innerText()).length > 0, 'a version shows its date');
    await v2.getByTestId('version-compare').click();
    const lines = byId('version-diff-lines');
    await lines.waitFor();
    // The only change: the moved step got a position.
    const added = await lines.locator('[data-kind="added"]').allInnerTexts();
    assert.ok(added.some((l) => /ui:/.test(l)), `the diff adds the moved step's ui: ${added.join(' | ')}`);
    assert.equal(await lines.locator('[data-kind="removed"]').count(), 0);
    await shot('version-diff');
    await page.keyboard.press('Escape');
    await byId('version-diff').waitFor({ state: 'detached' });
    // A version says what it changed: described here, kept by the server.
    await byId('version-describe-2').click();
    await byId('version-message-input-2').fill('Moved the read step');
    await byId('version-message-input-2').press('Enter');
    await byId('version-message-2').waitFor();
    assert.equal(await byId('version-message-2').innerText(), 'Moved the read step');
    const id = page.url().match(/#\/workflows\/([^/]+)/)[1];
    const listed = await (await api(`/api/v1/workflows/${id}/versions`)).json();
    assert.equal(listed.items.find((v) => v.version === 2).message, 'Moved the read step');
  });

  test('shows a bad reference and a cycle on the node', async () => {
    await node('get_user').click();
    const url = byId('with-url');
    await url.fill('{{env.API_URL}}/users/{{steps.nope.id}}');
    await page.locator('[data-testid="node-get_user"][data-problems="true"]').waitFor();
    await byId('node-problems-get_user').waitFor();
    await page.locator('[data-testid="field-url"] .field__error').waitFor();
    await shot('bad-reference');
    await page.keyboard.press('Escape');
    await url.fill('{{env.API_URL}}/users/{{steps.create_user.body.id}}');
    await page.locator('[data-testid="node-get_user"][data-problems="false"]').waitFor();

    // A cycle: create_user after reply.
    await node('create_user').click();
    await byId('tab-yaml').click();
    const yaml = byId('step-yaml');
    const text = await yaml.inputValue();
    await yaml.fill(text.replace('action: http', 'action: http\nafter: [reply]'));
    await byId('step-yaml-apply').click();
    await page.locator('[data-problems="true"]').first().waitFor();
    await byId('problem-count').waitFor();
    await shot('cycle');
    await page.keyboard.press('Escape');
    await clickCanvas();
    await page.keyboard.press('Control+z');
    await page.locator('[data-problems="true"]').first().waitFor({ state: 'detached' });
  });

  test('undoes and redoes with the keyboard', async () => {
    await clickCanvas();
    const before = await page.locator('.react-flow__node').count();
    await node('reply').click();
    await byId('palette-delay').click();
    await page.locator('.react-flow__node').nth(before).waitFor();
    assert.equal(await page.locator('.react-flow__node').count(), before + 1);
    await clickCanvas();
    await page.keyboard.press('Control+z');
    await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length === n, before);
    await page.keyboard.press('Control+Shift+z');
    await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length === n, before + 1);
    await node('delay_1').waitFor();
    await shot('redo');
    await page.keyboard.press('Control+z');
    await page.waitForFunction((n) => document.querySelectorAll('.react-flow__node').length === n, before);
  });

  test('shows a webhook step\'s delivery one click from its run, and lists it under Deliveries', async () => {
    const yaml = [
      `name: e2e-deliver-${RUN}`,
      'trigger: { type: manual }',
      'steps:',
      '  - id: tell',
      '    action: webhook',
      '    with:',
      `      url: "${MOCK}/notify"`,
      '      body: { text: "from the e2e test" }',
      '',
    ].join('\n');
    const { workflow, executionId } = await createAndRun(yaml);
    let delivery;
    for (let i = 0; i < 200 && delivery?.status !== 'delivered'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      delivery = (await (await api(`/api/v1/deliveries?execution_id=${executionId}`)).json()).items[0];
    }
    assert.equal(delivery?.status, 'delivered');

    // Leaving the draft of the earlier tests is confirmed.
    const accept = (dialog) => dialog.accept();
    page.on('dialog', accept);
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}/executions/${executionId}`);
    await page.locator('[data-testid="node-tell"][data-status="succeeded"]').waitFor();
    await node('tell').click();
    await byId('tab-output').click();
    await byId('step-run-delivery').click();
    const opened = byId('delivery-opened').locator(`[data-testid="delivery-${delivery.id}"][data-status="delivered"]`);
    await opened.waitFor();
    await byId('delivery-opened').getByTestId('delivery-history').waitFor();
    assert.match(await opened.innerText(), /1 attempt · last answer 200/);
    await shot('delivery');
    await byId('nav-workflows').click();
    await byId('workflows-page').waitFor();
    await byId('nav-deliveries').click();
    await byId('deliveries-page').waitFor();
    await byId('delivery-list').locator(`[data-testid="delivery-${delivery.id}"]`).waitFor();
    page.off('dialog', accept);
  });

  test('failed HTTP response shown: an execution opens a step on its run data, and the trigger shows the request and the answer', async () => {
    const path = `e2e-reject-${RUN}`;
    const yaml = [
      `name: e2e-reject-${RUN}`,
      `trigger: { type: webhook, path: ${path}, respond: sync }`,
      'steps:',
      '  - id: accept',
      '    action: respond',
      '    with: { status: 202, body: { accepted: "{{trigger.body.order}}" } }',
      '  - id: call',
      '    action: http',
      `    with: { method: POST, url: "${MOCK}/reject", json: { order: "{{trigger.body.order}}" } }`,
      '',
    ].join('\n');
    const created = await api('/api/v1/workflows', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: yaml });
    assert.equal(created.status, 201);
    const workflow = await created.json();
    assert.equal((await api(`/api/v1/workflows/${workflow.id}/activate`, { method: 'POST' })).status, 200);
    const res = await fetch(`${WEFT_URL}/hooks/${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-E2e-Marker': 'from-the-e2e-test' },
      body: JSON.stringify({ order: 4242 }),
    });
    assert.equal(res.status, 202, 'the respond step answered');
    const executionId = res.headers.get('x-weft-execution-id') ?? (await (await api(`/api/v1/executions?workflow_id=${workflow.id}&limit=1`)).json()).items[0].id;
    let execution;
    for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(execution?.status); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      execution = await (await api(`/api/v1/executions/${executionId}`)).json();
    }
    assert.equal(execution?.status, 'failed');

    const accept = (dialog) => dialog.accept();
    page.on('dialog', accept);
    try {
      await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}/executions/${executionId}`);
      await page.locator('[data-testid="node-call"][data-status="failed"]').waitFor();
      // A click on a step of an execution opens its run data, not its settings.
      // (The canvas may still be fitting the view: click again until the step's panel opens.)
      for (let i = 0; i < 5 && !(await byId('step-panel').isVisible()); i++) {
        await node('call').click();
        await byId('step-panel').waitFor({ timeout: 2000 }).catch(() => {});
      }
      await byId('step-run').waitFor();
      assert.equal(await byId('tab-output').getAttribute('aria-selected'), 'true');
      assert.match(await byId('step-run-error').innerText(), /answered 400 Bad Request/);
      assert.equal(await byId('step-run-response-status').innerText(), '400');
      assert.match(await byId('step-run-response-headers').innerText(), /x-request-id:\s*"mock-reject"/);
      const body = await byId('step-run-response-body').innerText();
      assert.match(body, /invalid_request/);
      assert.match(body, /the mock API rejects every request to \/reject/);
      await shot('failed-http-response');
      // The trigger shows the request it received and the answer its caller got.
      await page.locator('[data-testid="node-$trigger"]').click();
      await byId('trigger-request').waitFor();
      assert.equal(await byId('trigger-request-line').innerText(), `POST /hooks/${path}`);
      assert.match(await byId('trigger-request-headers').innerText(), /x-e2e-marker:\s*"from-the-e2e-test"/);
      assert.match(await byId('trigger-request-body').innerText(), /order:\s*4242/);
      assert.equal(await byId('trigger-answer-status').innerText(), '202');
      assert.match(await byId('trigger-answer-body').innerText(), /accepted:\s*4242/);
      await shot('trigger-request');
      await byId('back-to-draft').click();
      await page.locator('[data-testid="view-banner"]').waitFor({ state: 'detached' });
    } finally {
      page.off('dialog', accept);
    }
  });

  test('shows a waiting execution with its resume URL; the form resumes it and the canvas follows', async () => {
    const yaml = [
      `name: e2e-approval-${RUN}`,
      'trigger: { type: manual }',
      'steps:',
      '  - id: decision',
      '    action: wait',
      '    with:',
      '      for: callback',
      '      form:',
      '        title: Ship it?',
      '        properties:',
      '          comment: { type: string, title: Comment }',
      '  - id: after',
      '    action: set',
      '    with: { value: { said: "{{steps.decision.body.comment}}" } }',
      '',
    ].join('\n');
    const { workflow, executionId } = await createAndRun(yaml);
    let execution;
    for (let i = 0; i < 200 && execution?.status !== 'waiting'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      execution = await (await api(`/api/v1/executions/${executionId}`)).json();
    }
    assert.equal(execution?.status, 'waiting');
    const recorded = execution.steps.find((s) => s.step_id === 'decision').output.resume_url;

    const accept = (dialog) => dialog.accept();
    page.on('dialog', accept);
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}/executions/${executionId}`);
    await page.locator('[data-testid="node-decision"][data-status="waiting"]').waitFor();
    await page.locator('[data-testid="view-banner"] [data-testid="status-pill"][data-status="waiting"]').waitFor();
    await node('decision').click();
    await byId('tab-output').click();
    const url = await byId('resume-url-decision').inputValue();
    assert.equal(url, new URL(recorded, WEFT_URL).toString());
    await shot('waiting');

    // The form, in a tab of its own, as the person asked would open it.
    const form = await page.context().newPage();
    await form.goto(url);
    await form.getByRole('heading', { name: 'Ship it?' }).waitFor();
    await form.getByLabel('Comment').fill('looks good');
    await form.getByRole('button', { name: 'Submit' }).click();
    await form.getByRole('heading', { name: 'Thank you' }).waitFor();
    await form.close();

    // The editor follows the resumed execution to its end.
    await page.locator('[data-testid="node-after"][data-status="succeeded"]').waitFor();
    await page.locator('[data-testid="node-decision"][data-status="succeeded"]').waitFor();
    const done = await (await api(`/api/v1/executions/${executionId}`)).json();
    assert.equal(done.output.said, 'looks good');
    page.off('dialog', accept);
  });

  test('creates a credential on the Credentials page and another inline from an http step, which runs with it', async () => {
    const mockHost = new URL(MOCK).host;
    const paged = `e2e-bearer-${RUN}`;
    const inline = `e2e-key-${RUN}`;
    await byId('nav-credentials').click();
    await byId('credentials-page').waitFor();
    // The server's file credential: read-only, and unbound (it names no hosts).
    const file = byId('credential-row-crm-api');
    await file.getByTestId('credential-unbound').waitFor();
    assert.match(await file.getByTestId('credential-source').innerText(), /file · read-only/);
    assert.equal(await file.getByTestId('credential-edit').count(), 0);

    // A bearer credential: the hosts are required and checked as the server checks them.
    await byId('new-credential').click();
    await byId('credential-dialog').waitFor();
    await byId('credential-name').fill(paged);
    await byId('credential-type').selectOption('bearer');
    await byId('credential-data-token').fill('e2e-bearer-token-0123456789');
    await byId('credential-hosts').fill(`http://${mockHost}/`);
    await byId('credential-save').click();
    assert.match(await byId('field-error-credential-hosts').innerText(), /write only the host/);
    await byId('credential-hosts').fill(mockHost);
    await shot('credential-new');
    await byId('credential-save').click();
    await byId('credential-dialog').waitFor({ state: 'detached' });
    const row = byId(`credential-row-${paged}`);
    await row.waitFor();
    assert.equal(await row.getByTestId('credential-hosts-cell').innerText(), mockHost);

    // Its secret is never shown again: editing offers to keep it.
    await row.getByTestId('credential-edit').click();
    assert.equal(await byId('credential-data-token').inputValue(), '');
    assert.equal(await byId('credential-data-token').getAttribute('placeholder'), 'set — leave empty to keep');
    await byId('credential-description').fill('the e2e bearer');
    await byId('credential-save').click();
    await byId('credential-dialog').waitFor({ state: 'detached' });
    await row.getByText('the e2e bearer').waitFor();
    const kept = await (await api(`/api/v1/credentials/${paged}`)).json();
    assert.deepEqual(kept.secrets_set, ['token']);
    assert.ok(!JSON.stringify(kept).includes('e2e-bearer-token'), 'the API never returns a secret');

    // Test: the mock echoes the request, so the credential is accepted.
    await row.getByTestId('credential-test').click();
    assert.equal(await byId('credential-test-url').inputValue(), `http://${mockHost}/`);
    await byId('credential-test-url').fill(`${MOCK}/echo`);
    await byId('credential-test-run').click();
    await page.locator('[data-testid="credential-test-result"][data-ok="true"]').waitFor();
    await shot('credential-test');
    await page.keyboard.press('Escape');

    // An http step picks the page's credential, or creates one in place with its URL's host.
    const { workflow } = await createAndRun([
      `name: e2e-credential-${RUN}`,
      'trigger: { type: manual }',
      'steps:',
      '  - id: call',
      '    action: http',
      `    with: { url: "${MOCK}/echo/with-key" }`,
      '',
    ].join('\n'));
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}`);
    await node('call').click();
    await byId('step-panel').waitFor();
    await page.locator(`datalist[id$="-credential-options"] option[value="${paged}"]`).waitFor({ state: 'attached' });
    await byId('with-credential-new').click();
    await byId('credential-dialog').waitFor();
    assert.equal(await byId('credential-hosts').inputValue(), mockHost);
    await byId('credential-name').fill(inline);
    await byId('credential-type').selectOption('api_key');
    await byId('credential-data-header').fill('X-Api-Key');
    await byId('credential-data-value').fill('e2e-api-key-0123456789');
    await shot('credential-inline');
    await byId('credential-save').click();
    await byId('credential-dialog').waitFor({ state: 'detached' });
    assert.equal(await byId('with-credential').inputValue(), inline);
    await save();

    await clickCanvas();
    await byId('tab-run').click();
    await byId('run-now').click();
    await page.locator('[data-testid="node-call"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const saved = await (await api(`/api/v1/workflows/${workflow.id}`)).json();
    assert.equal(saved.workflow.steps[0].with.credential, inline);
    const runs = await (await api(`/api/v1/executions?workflow_id=${workflow.id}&limit=1`)).json();
    const execution = await (await api(`/api/v1/executions/${runs.items[0].id}`)).json();
    assert.equal(execution.status, 'succeeded');
    assert.ok(execution.steps[0].output.body.headers['x-api-key'], 'the mock saw the API key header');

    // The page names the workflow that uses it, and refuses to delete it while it is active.
    assert.equal((await api(`/api/v1/workflows/${workflow.id}/activate`, { method: 'POST' })).status, 200);
    const accept = (dialog) => dialog.accept();
    page.on('dialog', accept);
    await byId('nav-credentials').click();
    page.off('dialog', accept);
    await byId('credentials-refresh').click();
    const used = byId(`credential-row-${inline}`);
    await used.getByTestId('credential-used-by').getByText(`e2e-credential-${RUN}`).waitFor();
    await used.getByTestId('credential-delete').click();
    await byId('confirm-button').click();
    const refused = byId('credential-delete-refused');
    await refused.waitFor();
    assert.match(await refused.innerText(), /is used by/);
    await refused.getByRole('link', { name: `e2e-credential-${RUN}` }).waitFor();
    await shot('credential-delete-refused');
    await page.keyboard.press('Escape');
    // One nobody uses goes.
    await row.getByTestId('credential-delete').click();
    await byId('confirm-button').click();
    await row.waitFor({ state: 'detached' });
    await shot('credentials');
  });

  test('connects an OAuth2 credential, runs with it, and shows needs_reconnect once the provider revokes it', async () => {
    const mockHost = new URL(MOCK).host;
    const name = `e2e-oauth-${RUN}`;
    const post = (path, body) => fetch(`${MOCK}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body ?? {}) });
    await byId('credentials-page').waitFor();
    await byId('new-credential').click();
    await byId('credential-name').fill(name);
    await byId('credential-type').selectOption('oauth2');
    await byId('credential-data-grant').selectOption('authorization_code');
    await byId('credential-data-authorize_url').fill(`${MOCK}/oauth/authorize`);
    await byId('credential-data-token_url').fill(`${MOCK}/oauth/token`);
    await byId('credential-data-client_id').fill('e2e-client');
    await byId('credential-data-client_secret').fill('mock-secret');
    await byId('credential-data-scopes').fill('read write');
    await byId('credential-hosts').fill(mockHost);
    await shot('credential-oauth2');
    await byId('credential-save').click();
    await byId('credential-dialog').waitFor({ state: 'detached' });
    const row = byId(`credential-row-${name}`);
    await row.locator('[data-testid="credential-status"][data-status="not_connected"]').waitFor();

    // Connect: the provider's page opens in a new window, approves at once and sends it back
    // to Weft's callback; the page follows the credential until it is connected.
    const popup = page.waitForEvent('popup');
    await row.getByTestId('credential-connect').click();
    const provider = await popup;
    await provider.getByRole('heading', { name: 'Connected', exact: true }).waitFor();
    await provider.close();
    await row.locator('[data-testid="credential-status"][data-status="ok"]').waitFor();
    assert.match(await row.getByTestId('credential-connect').innerText(), /Reconnect/);

    const me = [
      `name: e2e-oauth-${RUN}`,
      'trigger: { type: manual }',
      'steps:',
      '  - id: me',
      '    action: http',
      `    with: { url: "${MOCK}/oauth/me", credential: "${name}" }`,
      '',
    ].join('\n');
    const finished = async (executionId) => {
      let execution;
      for (let i = 0; i < 300 && !['succeeded', 'failed'].includes(execution?.status); i++) {
        if (i) await new Promise((r) => setTimeout(r, 100));
        execution = await (await api(`/api/v1/executions/${executionId}`)).json();
      }
      return execution;
    };
    const { workflow, executionId } = await createAndRun(me);
    assert.equal((await finished(executionId)).status, 'succeeded');

    assert.ok((await (await fetch(`${MOCK}/oauth/stats`)).json()).authorizations >= 1);

    // The provider revokes every refresh token and ends the access tokens: the next run gets a
    // 401, tries a refresh, is refused, and the credential needs reconnecting.
    assert.ok((await post('/oauth/revoke')).ok);
    assert.ok((await post('/oauth/expire')).ok);
    const again = await api(`/api/v1/workflows/${workflow.id}/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(again.status, 202);
    assert.equal((await finished((await again.json()).execution_id)).status, 'failed');
    await byId('credentials-refresh').click();
    await row.locator('[data-testid="credential-status"][data-status="needs_reconnect"]').waitFor();
    await row.getByTestId('credential-status-message').waitFor();
    assert.match(await row.getByTestId('credential-connect').innerText(), /Reconnect/);
    await shot('credential-needs-reconnect');
  });

  test('asks "Leave without saving?" once: after discarding, the sidebar navigates without asking', async () => {
    const name = `e2e-leave-${RUN}`;
    const created = await api('/api/v1/workflows', {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml' },
      body: [`name: ${name}`, 'trigger: { type: manual }', 'steps:', '  - id: note', '    action: set', '    with: { value: { a: 1 } }', ''].join('\n'),
    });
    assert.equal(created.status, 201);
    const workflow = await created.json();
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}`);
    await node('note').waitFor();
    await byId('editor-name').fill(`${name} edited`);
    await page.locator('[data-testid="save-state"]', { hasText: 'Unsaved changes' }).waitFor();

    const asked = [];
    const accept = (dialog) => {
      asked.push(dialog.message());
      return dialog.accept();
    };
    page.on('dialog', accept);
    try {
      await byId('nav-executions').click();
      await byId('executions-page').waitFor();
      assert.equal(asked.length, 1, 'leaving with changes asks');
      assert.match(asked[0], /Leave without saving/);
      for (const [link, target] of [
        ['nav-workflows', 'workflows-page'],
        ['nav-credentials', 'credentials-page'],
        ['nav-deliveries', 'deliveries-page'],
        ['nav-executions', 'executions-page'],
        ['nav-workflows', 'workflows-page'],
      ]) {
        await byId(link).click();
        await byId(target).waitFor();
      }
      assert.deepEqual(asked.slice(1), [], 'no further prompt once the changes were discarded');
    } finally {
      page.off('dialog', accept);
    }
    // The edit was discarded: the workflow opens as saved, and leaving it unchanged asks nothing.
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}`);
    await node('note').waitFor();
    assert.equal(await byId('editor-name').inputValue(), name);
    page.on('dialog', accept);
    try {
      await byId('nav-workflows').click();
      await byId('workflows-page').waitFor();
      assert.equal(asked.length, 1);
    } finally {
      page.off('dialog', accept);
    }
  });

  test('keeps the workflows table inside its card at 1280x720, delete icons included', async () => {
    const long = `e2e a workflow whose name is long enough to push the columns ${RUN}`;
    const created = await api('/api/v1/workflows', {
      method: 'POST',
      headers: { 'Content-Type': 'application/yaml' },
      body: [`name: ${long}`, `trigger: { type: webhook, path: e2e-a-rather-long-webhook-path/that-goes/on-and-on-${RUN} }`, 'steps:', '  - id: note', '    action: set', '    with: { value: { a: 1 } }', ''].join('\n'),
    });
    assert.equal(created.status, 201);
    await page.setViewportSize({ width: 1280, height: 720 });
    try {
      await page.goto(`${WEFT_URL}/#/workflows`);
      await page.reload(); // the list as it is now, with the workflow just created
      await byId('workflow-table').locator(`[data-name="${long}"]`).waitFor();
      const card = await page.locator('.table-card').boundingBox();
      const table = await byId('workflow-table').boundingBox();
      assert.ok(table.x + table.width <= card.x + card.width + 0.5, `the table (right edge ${table.x + table.width}) fits its card (${card.x + card.width})`);
      const rows = byId('workflow-table').locator('tbody tr');
      const count = await rows.count();
      assert.ok(count >= 5, `several workflows are listed (${count})`);
      for (let i = 0; i < count; i++) {
        const del = await rows.nth(i).getByTestId('delete').boundingBox();
        assert.ok(del && del.width > 0, `row ${i} has a delete icon`);
        assert.ok(del.x >= card.x && del.x + del.width <= card.x + card.width, `row ${i}: the delete icon (${del.x}..${del.x + del.width}) is inside the card (${card.x}..${card.x + card.width})`);
      }
      const scrolls = await page.locator('.table-card').evaluate((el) => el.scrollWidth > el.clientWidth);
      assert.equal(scrolls, false, 'the card does not scroll sideways');
      await shot('workflows-1280x720');
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('imports a file again as a new version of the workflow of that name, as weft import does', async () => {
    const name = `e2e-reimport-${RUN}`;
    const doc = (value) => [`name: ${name}`, 'trigger: { type: manual }', 'steps:', '  - id: note', '    action: set', `    with: { value: ${value} }`, ''].join('\n');
    const importText = async (text) => {
      await page.goto(`${WEFT_URL}/#/workflows`);
      await byId('import-open').click();
      await byId('import-rule').waitFor();
      await byId('tab-paste').click();
      await byId('import-text').fill(text);
      await byId('import-submit').click();
      await byId('editor').waitFor();
      await node('note').waitFor();
      return decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    };
    const first = await importText(doc(1));
    const second = await importText(doc(2));
    assert.equal(second, first, 'the same workflow, not a duplicate');
    const named = (await (await api('/api/v1/workflows')).json()).items.filter((w) => w.name === name);
    assert.equal(named.length, 1);
    const record = await (await api(`/api/v1/workflows/${first}`)).json();
    assert.equal(record.version, 2);
    assert.equal(record.workflow.steps[0].with.value, 2);
  });

  test('shows the keyboard shortcuts on ?, not while typing in a field', async () => {
    await page.goto(`${WEFT_URL}/#/workflows`);
    await byId('import-open').waitFor();
    await page.keyboard.press('?');
    const sheet = byId('shortcut-sheet');
    await sheet.waitFor();
    const text = await sheet.innerText();
    for (const does of ['Save', 'Undo', 'Paste steps', 'Suggest data at the cursor']) assert.ok(text.includes(does), `${does} in\n${text}`);
    await shot('shortcuts');
    await page.keyboard.press('Escape');
    await sheet.waitFor({ state: 'detached' });
    await byId('import-open').click();
    await byId('tab-paste').click();
    await byId('import-text').click();
    await page.keyboard.type('a?b');
    assert.equal(await byId('import-text').inputValue(), 'a?b');
    assert.equal(await sheet.count(), 0, 'typing ? in a field does not open the sheet');
    await page.keyboard.press('Escape');
  });

  test('creates a workflow from each kind of template in two clicks; one that needs a missing credential says which', async () => {
    const openGallery = async () => {
      await page.goto(`${WEFT_URL}/#/workflows`);
      await byId('templates-open').click();
      await byId('templates-dialog').waitFor();
    };
    await openGallery();
    const cards = page.locator('.templates__item');
    assert.ok((await cards.count()) >= 10, 'every example is a template');
    await shot('templates');
    const before = (await (await api('/api/v1/workflows')).json()).items.map((w) => w.name);
    await byId('template-create-user').getByTestId('template-use').click();
    await byId('editor').waitFor();
    await node('create_user').waitFor();
    const first = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    const record = await (await api(`/api/v1/workflows/${first}`)).json();
    assert.ok(record.name.startsWith('Create and tag a user'), record.name);
    assert.ok(!before.includes(record.name), `a free name, not one of ${before}`);
    assert.equal(record.active, false);

    // The sign-up example checks Stripe's signature and signs for the chat: without those
    // credentials it cannot be saved, and the card says which one is missing.
    await openGallery();
    const card = byId('template-signup-to-chat');
    assert.match(await card.innerText(), /stripe-signing/);
    await card.getByTestId('template-use').click();
    const error = card.getByTestId('template-error');
    await error.waitFor();
    assert.match(await error.innerText(), /stripe-signing|chat-signing/);
    await page.keyboard.press('Escape');
  });

  test('keeps node titles readable at fit view with 10 steps, at 1280x720', async () => {
    const steps = Array.from({ length: 10 }, (_, i) => [`  - id: step_${i}`, '    action: set', `    with: { value: ${i} }`].join('\n'));
    const created = await api('/api/v1/workflows', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: [`name: e2e-wide-${RUN}`, 'trigger: { type: manual }', 'steps:', ...steps, ''].join('\n') });
    assert.equal(created.status, 201, await created.clone().text());
    const workflow = await created.json();
    await page.setViewportSize({ width: 1280, height: 720 });
    try {
      await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}`);
      await node('step_9').waitFor();
      await page.waitForTimeout(400);
      const px = await page.locator('[data-testid="node-step_0"] .wf-node__title').evaluate((el) => {
        const viewport = el.closest('.react-flow__viewport');
        const scale = new DOMMatrixReadOnly(getComputedStyle(viewport).transform).a;
        return parseFloat(getComputedStyle(el).fontSize) * scale;
      });
      assert.ok(px >= 11, `node titles render at ${px.toFixed(1)} px at fit view`);
      // Too wide to fit at that zoom: the view starts at the beginning, the trigger in sight.
      const canvas = await byId('canvas').boundingBox();
      const first = await page.locator('.react-flow__node').first().boundingBox();
      const trigger = await page.locator('[data-testid^="node-"]').first().boundingBox();
      assert.ok(Math.min(first.x, trigger.x) >= canvas.x - 1, `the first node starts at ${Math.min(first.x, trigger.x)}, the canvas at ${canvas.x}`);
      await shot('canvas-10-steps-1280x720');

      // The side panel resizes by its handle, and keeps its width when the editor opens again.
      const panel = byId('editor-panel');
      const before = (await panel.boundingBox()).width;
      const handle = await byId('panel-resizer').boundingBox();
      await page.mouse.move(handle.x + handle.width / 2, handle.y + 200);
      await page.mouse.down();
      await page.mouse.move(handle.x - 150, handle.y + 200, { steps: 6 });
      await page.mouse.up();
      const wider = (await panel.boundingBox()).width;
      assert.ok(Math.abs(wider - before - 150) <= 12, `the panel went from ${before} to ${wider} px`);
      await page.reload();
      await node('step_9').waitFor();
      assert.ok(Math.abs((await panel.boundingBox()).width - wider) <= 2, 'the width is kept');
      await page.evaluate(() => window.localStorage.removeItem('weft.panelWidth'));
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  });

  test('retries a failed execution from its failed step with the current version, once fixed', async () => {
    const doc = (fixed) => [`name: e2e-fix-${RUN}`, 'trigger: { type: manual }', 'steps:', '  - id: first', '    action: set', '    with: { value: 1 }', '  - id: check', ...(fixed ? ['    action: set', '    with: { value: { fixed: true } }'] : ['    action: fail', '    with: { message: not yet }']), ''].join('\n');
    const { workflow, executionId } = await createAndRun(doc(false));
    let failed;
    for (let i = 0; i < 100 && failed?.status !== 'failed'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      failed = await (await api(`/api/v1/executions/${executionId}`)).json();
    }
    assert.equal(failed.status, 'failed');
    const put = await api(`/api/v1/workflows/${workflow.id}`, { method: 'PUT', headers: { 'Content-Type': 'application/yaml' }, body: doc(true) });
    assert.equal(put.status, 200);
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}/executions/${executionId}`);
    const choice = byId('retry-version');
    await choice.waitFor();
    assert.equal(await choice.inputValue(), 'current');
    await byId('retry-failed').click();
    await page.waitForFunction((old) => !window.location.hash.endsWith(old), executionId);
    const retried = decodeURIComponent(new URL(page.url()).hash.split('/').pop());
    let e;
    for (let i = 0; i < 100 && !['succeeded', 'failed'].includes(e?.status); i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      e = await (await api(`/api/v1/executions/${retried}`)).json();
    }
    assert.equal(e.status, 'succeeded');
    assert.equal(e.version, 2);
    assert.equal(e.retry_of, executionId);
  });

  test('drags a field of an earlier step onto a field, where it is dropped, quoted in JSON', async () => {
    const yaml = [`name: e2e-drag-${RUN}`, 'trigger: { type: manual }', 'steps:', '  - id: a', '    action: set', '    with: { value: { id: 7 } }', '  - id: b', '    action: http', '    with: { url: "http://127.0.0.1:1/x/", method: POST }', ''].join('\n');
    const created = await api('/api/v1/workflows', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: yaml });
    assert.equal(created.status, 201);
    const workflow = await created.json();
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}`);
    // The canvas may still be fitting the view: click until the step's panel opens.
    await node('b').waitFor();
    for (let i = 0; i < 10 && !(await byId('step-panel').isVisible()); i++) {
      await node('b').click();
      await page.waitForTimeout(200);
    }
    await byId('step-panel').waitFor();
    const field = byId('pick-steps.a.id');
    await field.waitFor();
    // The browser's drag events, carrying one DataTransfer from the field to the drop point.
    const drag = (target, at) =>
      page.evaluate(
        ([targetId, at]) => {
          const source = document.querySelector('[data-testid="pick-steps.a.id"]');
          const el = document.querySelector(`[data-testid="${targetId}"]`);
          const box = el.getBoundingClientRect();
          const point = { clientX: at === 'end' ? box.right - 4 : box.left + 8, clientY: box.top + Math.min(12, box.height / 2), bubbles: true, cancelable: true };
          const dataTransfer = new DataTransfer();
          source.dispatchEvent(new DragEvent('dragstart', { dataTransfer, bubbles: true }));
          el.dispatchEvent(new DragEvent('dragenter', { dataTransfer, ...point }));
          const over = el.dispatchEvent(new DragEvent('dragover', { dataTransfer, ...point }));
          el.dispatchEvent(new DragEvent('drop', { dataTransfer, ...point }));
          source.dispatchEvent(new DragEvent('dragend', { dataTransfer, bubbles: true }));
          return { accepted: !over, types: [...dataTransfer.types] };
        },
        [target, at],
      );
    // Onto the end of the URL.
    const url = byId('with-url');
    const onUrl = await drag('with-url', 'end');
    assert.ok(onUrl.accepted, `the field takes the drop: ${JSON.stringify(onUrl)}`);
    assert.equal(await url.inputValue(), 'http://127.0.0.1:1/x/{{steps.a.id}}');
    // Onto an empty JSON body: outside any string, so it goes in quoted (valid JSON).
    const body = byId('with-json');
    await body.waitFor();
    await drag('with-json', 'start');
    assert.equal(await body.inputValue(), '"{{steps.a.id}}"');
    await shot('dragged-field');
  });

  test('lists the processes with their state, and an execution names the process that ran it', async () => {
    const processes = (await (await api('/api/v1/processes')).json()).items;
    const me = processes.find((p) => p.kind === 'serve' && p.state === 'alive');
    assert.ok(me, `this weft serve is listed alive: ${JSON.stringify(processes)}`);
    // The test before leaves an edited workflow open: leave it.
    const accept = (d) => d.accept();
    page.on('dialog', accept);
    try {
      await byId('nav-processes').click();
      await byId('processes-page').waitFor();
    } finally {
      page.off('dialog', accept);
    }
    const row = page.locator(`[data-testid="process-row"][data-kind="serve"][data-state="alive"]`).first();
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`${me.pid}`));
    assert.match(await row.innerText(), /server and workers/);
    await shot('processes');
    // An execution that ran here says so in the list.
    await byId('nav-executions').click();
    await byId('executions-page').waitFor();
    const ran = byId('execution-process').first();
    await ran.waitFor();
    assert.equal(await ran.innerText(), `serve ${me.id.slice(-4)}`);
  });

  test('imports an OpenAPI document, adds an operation from the palette search, maps a field and runs it', async () => {
    // The Twilio stand-in of the mock API checks basic auth with these (tests/src/lib.rs).
    const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
    const TOKEN = 'twilio-test-auth-token';
    const accept = (d) => d.accept();
    page.on('dialog', accept);
    try {
      await byId('nav-connectors').click();
      await byId('connectors-page').waitFor();
    } finally {
      page.off('dialog', accept);
    }
    await byId('connector-file').setInputFiles(join(here, '..', '..', 'tests', 'openapi', 'twilio', 'twilio_api_v2010.yaml'));
    await byId('connector-name').fill('twilio');
    await byId('connector-base-url').fill(`${MOCK}/twilio`);
    await byId('connector-import-submit').click();
    const row = page.locator('[data-testid="connector-row"][data-name="twilio"]');
    await row.waitFor({ timeout: 30_000 });
    assert.match(await row.innerText(), /197/);
    await shot('connectors');
    // A document that cannot be used says where (JSON pointer and line).
    await byId('connector-file').setInputFiles({
      name: 'broken.yaml',
      mimeType: 'application/yaml',
      buffer: Buffer.from("openapi: 3.0.3\ninfo: {title: Broken, version: '1'}\nservers: [{url: 'http://127.0.0.1:9'}]\npaths:\n  /a:\n    get:\n      parameters:\n        - {in: query}\n"),
    });
    await byId('connector-name').fill('broken');
    await byId('connector-import-submit').click();
    await byId('connector-problems').waitFor();
    assert.match(await byId('connector-problems').innerText(), /\/paths\/~1a\/get\/parameters\/0 \(line 8\)/);

    const credential = `twilio-${RUN}`;
    const created = await api('/api/v1/credentials', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: credential, type: 'basic', data: { username: ACCOUNT, password: TOKEN }, allowed_hosts: [new URL(MOCK).hostname] }),
    });
    assert.equal(created.status, 201);
    const { workflow } = await createAndRun(`name: E2E SMS ${RUN}\ntrigger: { type: manual }\nsteps:\n  - id: contact\n    action: set\n    with:\n      value: { phone: "+15551230000", name: Ada }\n`);
    await page.goto(`${WEFT_URL}/#/workflows/${workflow.id}`);
    await byId('editor').waitFor();
    // A run in the editor gives the upstream step output to map from.
    await clickCanvas();
    await byId('tab-run').click();
    await byId('run-now').click();
    await page.locator('[data-testid="node-contact"][data-status="succeeded"]').waitFor({ timeout: 30_000 });

    await node('contact').click();
    if ((await byId('palette-toggle').getAttribute('aria-expanded')) === 'false') await byId('palette-toggle').click();
    await page.getByLabel('Filter actions').fill('send a message');
    await byId('palette-twilio.CreateMessage').click();
    await byId('step-panel').waitFor();
    await renameSelectedStep('sms');
    assert.match(await byId('operation-doc').innerText(), /POST .*\/twilio\/2010-04-01\/Accounts\/\{AccountSid\}\/Messages\.json/);
    await byId('with-AccountSid').fill(ACCOUNT);
    await byId('with-credential').fill(credential);
    await byId('with-body-add').click();
    await byId('with-body-key-0').fill('To');
    const to = byId('with-body-value-0');
    await to.click();
    await byId('pick-steps.contact.phone').click();
    assert.equal(await to.inputValue(), '{{steps.contact.phone}}');
    await byId('with-body-add').click();
    await byId('with-body-key-1').fill('Body');
    await byId('with-body-value-1').fill('Hello {{steps.contact.name}}');
    await shot('connector-step');
    // Before it ever ran, the next step can map its answer's fields: from the operation's
    // response schema.
    await page.getByLabel('Filter actions').fill('');
    await byId('palette-respond').click();
    await renameSelectedStep('reply');
    await byId('picker-sms').waitFor();
    await byId('pick-steps.sms.body.sid').waitFor();
    await byId('with-status').fill('201');
    await save();

    await clickCanvas();
    await byId('tab-run').click();
    await byId('run-now').click();
    await page.locator('[data-testid="node-sms"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await node('sms').click();
    await byId('tab-output').click();
    const output = byId('step-run-output');
    await output.waitFor();
    const text = await output.innerText();
    assert.match(text, /queued/);
    assert.match(text, /\+15551230000/);
    assert.match(text, /Hello Ada/);
  });

  test('saves a workflow with problems as a draft; the version that runs stays; the draft comes back and can be discarded', async () => {
    const id = page.url().match(/#\/workflows\/([^/]+)/)[1];
    const before = await (await api(`/api/v1/workflows/${id}`)).json();
    const steps = page.locator('.react-flow__node');
    const count = await steps.count();
    await node('reply').click();
    await byId('palette-http').click();
    await byId('step-panel').waitFor();
    await byId('problem-count').waitFor();
    await page.keyboard.press('Control+s');
    await page.locator('[data-testid="save-state"]', { hasText: 'Draft saved' }).waitFor();
    const draft = await (await api(`/api/v1/workflows/${id}/draft`)).json();
    assert.ok(draft.problems.length > 0, JSON.stringify(draft));
    assert.equal(draft.version, before.version);
    const after = await (await api(`/api/v1/workflows/${id}`)).json();
    assert.equal(after.version, before.version, 'no version was made');
    await shot('draft-saved');

    // Reopened, the editor shows the draft, not the version.
    await page.reload();
    await byId('editor').waitFor();
    await page.locator('[data-testid="save-state"]', { hasText: 'Draft saved' }).waitFor();
    assert.equal(await steps.count(), count + 1);
    const accept = (d) => d.accept();
    page.on('dialog', accept);
    try {
      await byId('discard-draft').click();
      await byId('discard-draft').waitFor({ state: 'detached' });
      assert.equal(await byId('save-state').innerText(), `Saved · v${before.version}`);
    } finally {
      page.off('dialog', accept);
    }
    assert.equal(await steps.count(), count);
    assert.equal((await api(`/api/v1/workflows/${id}/draft`)).status, 404);

    // A draft that does not read as a workflow (kept through the API) does not stop the editor.
    const put = await api(`/api/v1/workflows/${id}/draft`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{"name": "no trigger", "steps": {}}' });
    assert.equal(put.status, 200);
    await page.reload();
    await byId('editor').waitFor();
    assert.equal(await byId('save-state').innerText(), `Saved · v${before.version}`);
    assert.equal(await steps.count(), count);
    await api(`/api/v1/workflows/${id}/draft`, { method: 'DELETE' });
  });

  test('imports a file with problems as a draft, which opens in the editor with its problems', async () => {
    const name = `e2e-import-draft-${RUN}`;
    const text = [`name: ${name}`, 'trigger: { type: manual }', 'steps:', '  - id: call', '    action: http', '    with:', '      url: "{{steps.missing.body.url}}"', ''].join('\n');
    await page.evaluate(() => (window.location.hash = '#/workflows'));
    await byId('import-open').click();
    await byId('tab-paste').click();
    await byId('import-text').fill(text);
    await byId('import-submit').click();
    assert.match(await byId('import-error').innerText(), /not valid/);
    await byId('import-as-draft').click();
    await byId('editor').waitFor();
    await node('call').waitFor();
    await page.locator('[data-testid="node-call"][data-problems="true"]').waitFor();
    const id = decodeURIComponent(new URL(page.url()).hash.split('/')[2]);
    const record = await (await api(`/api/v1/workflows/${id}`)).json();
    assert.equal(record.name, name);
    assert.equal(record.active, false);
    assert.deepEqual(record.workflow.steps ?? [], [], 'version 1 runs nothing');
    const draft = await api(`/api/v1/workflows/${id}/draft`);
    assert.equal(draft.status, 200);
    const kept = await draft.json();
    assert.equal(kept.document.steps[0].with.url, '{{steps.missing.body.url}}');
    assert.ok(kept.problems.some((p) => p.step === 'call'), JSON.stringify(kept.problems));
    await shot('imported-as-draft');
  });

  test('pins a test event and a step output, previews templated fields, runs one step from its panel', async () => {
    const yaml = [
      `name: e2e-pins-${RUN}`,
      'trigger: { type: manual }',
      'steps:',
      '  - id: create_user',
      '    action: http',
      '    with:',
      '      method: POST',
      `      url: "${MOCK}/users"`,
      '      json: { email: "{{trigger.body.email}}" }',
      '  - id: get_user',
      '    action: http',
      '    with:',
      `      url: "${MOCK}/users/{{steps.create_user.body.id}}"`,
      '',
    ].join('\n');
    const created = await api('/api/v1/workflows', { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: yaml });
    assert.equal(created.status, 201, await created.clone().text());
    const workflow = await created.json();
    await page.evaluate((hash) => (window.location.hash = hash), `#/workflows/${workflow.id}`);
    await node('get_user').waitFor();

    // A typed test event, pinned on the trigger: previews read it before any run.
    await node('$trigger').click();
    await byId('pin-trigger-body').fill('{"email": "pinned@example.com"}');
    await byId('pin-trigger').click();
    await byId('pin-badge-$trigger').waitFor();
    await byId('pinned-trigger').waitFor();
    await node('create_user').click();
    const preview = byId('step-panel').getByTestId('template-preview');
    await preview.first().waitFor();
    assert.match(await preview.first().innerText(), /pinned@example\.com/, 'the JSON body previews with the pinned event');

    // Run that one step from its panel: it runs alone, for real; the next one does not run.
    await byId('run-step').click();
    await page.locator('[data-testid="node-create_user"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="node-get_user"][data-status="skipped"]').waitFor();
    await byId('tab-output').click();
    assert.match(await byId('step-run-output').innerText(), /pinned@example\.com/);
    await shot('run-one-step');

    // Pin its output: the canvas shows the pin, the next step's URL previews with its id.
    await byId('pin-output').click();
    await byId('pin-badge-create_user').waitFor();
    const pins = await (await api(`/api/v1/workflows/${workflow.id}/pins`)).json();
    const pinnedId = pins.steps.create_user.body.id;
    assert.ok(pinnedId !== undefined, JSON.stringify(pins));
    await node('get_user').click();
    const urlPreview = byId('step-panel').getByTestId('template-preview').first();
    await page.waitForFunction((id) => [...document.querySelectorAll('[data-testid="step-panel"] [data-testid="template-preview"]')].some((e) => e.textContent.endsWith(`/users/${id}`)), pinnedId);
    // A template that cannot render says why, under the field.
    await byId('with-url').fill(`${MOCK}/users/{{steps.nope.id}}`);
    await page.locator('[data-testid="step-panel"] .template-preview.is-error').waitFor();
    assert.match(await urlPreview.innerText(), /steps\.nope/);
    await byId('with-url').fill(`${MOCK}/users/{{steps.create_user.body.id}}`);
    await shot('pinned-and-preview');

    // A run with pins is a test run: the pinned step is not called again.
    await clickCanvas();
    await byId('tab-run').click();
    await byId('run-uses-pins').waitFor();
    await byId('run-now').click();
    await page.locator('[data-testid="node-get_user"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
    const list = await (await api(`/api/v1/executions?workflow_id=${workflow.id}`)).json();
    const last = await (await api(`/api/v1/executions/${list.items[0].id}`)).json();
    assert.equal(last.test, true);
    const first = last.steps.find((x) => x.step_id === 'create_user');
    assert.deepEqual(first.input, { pinned: true });
    assert.equal(last.steps.find((x) => x.step_id === 'get_user').output.body.email, 'pinned@example.com');

    // Unpinned, the canvas says so.
    await node('create_user').click();
    await byId('unpin-step').click();
    await byId('pin-badge-create_user').waitFor({ state: 'detached' });
  });

  test('builds webhook → create user → update it with the id → notify → respond in at most 30 UI actions', async () => {
    // Every click, fill, choice and key press counts as one action.
    let actions = 0;
    const act = async (what) => {
      actions += 1;
      await what;
    };
    const path = `e2e-thirty-${RUN}`;
    const addStep = async (palette, id) => {
      await act(byId(palette).click());
      await byId('step-panel').waitFor();
      if (id) {
        await act(byId('step-id').fill(id));
        await act(byId('step-id').press('Enter'));
        await node(id).waitFor();
      }
    };
    await page.evaluate(() => (window.location.hash = '#/workflows'));
    await act(byId('new-workflow').first().click());
    await act(byId('workflow-name-input').fill(`Thirty actions ${RUN}`));
    await act(byId('workflow-trigger-select').selectOption('webhook'));
    await act(byId('workflow-path-input').fill(path));
    await act(byId('create-workflow').click());
    await byId('editor').waitFor();
    await act(node('$trigger').click());
    await act(byId('trigger-respond').selectOption('sync'));

    await addStep('palette-http', 'create_user');
    await act(byId('with-method').selectOption('POST'));
    await act(byId('with-url').fill(`${MOCK}/users`));
    await act(byId('with-json').fill('{"email": "{{trigger.body.email}}"}'));

    await addStep('palette-http', 'update_user');
    await act(byId('with-method').selectOption('PATCH'));
    await act(byId('with-url').fill(`${MOCK}/users/{{steps.create_user.body.id}}`));
    await act(byId('with-json').fill('{"tag": "customer"}'));

    await addStep('palette-http', 'notify');
    await act(byId('with-method').selectOption('POST'));
    await act(byId('with-url').fill(`${MOCK}/notify`));
    await act(byId('with-json').fill('{"text": "New user {{steps.update_user.body.id}}"}'));

    await addStep('palette-respond', null);
    await act(byId('with-status').fill('201'));
    await act(byId('with-body').fill('{"id": "{{steps.update_user.body.id}}", "tag": "{{steps.update_user.body.tag}}"}'));
    await act(page.keyboard.press('Control+s'));
    await page.locator('[data-testid="save-state"]', { hasText: /^Saved · v\d+$/ }).waitFor();
    await shot('built-in-thirty-actions');
    assert.ok(actions <= 30, `building took ${actions} UI actions`);
    console.log(`note: the five-step workflow took ${actions} UI actions`);

    // It works: activated and called, it answers with the created, tagged user.
    const list = await (await api('/api/v1/workflows')).json();
    const mine = list.items.find((w) => w.trigger.path === path);
    assert.equal((await api(`/api/v1/workflows/${mine.id}/activate`, { method: 'POST' })).status, 200);
    const res = await fetch(`${WEFT_URL}/hooks/${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email: 'thirty@example.com' }) });
    const text = await res.text();
    assert.equal(res.status, 201, text);
    const answer = JSON.parse(text);
    assert.equal(answer.tag, 'customer', text);
    assert.ok(answer.id, text);
  });

  test('writes screenshots of the main screens at 1280x720 and 1920x1080', async () => {
    const yaml = readFileSync(EXAMPLE, 'utf8').replace('path: new-user', `path: e2e-shots-${RUN}`).replace('name: Create and tag a user', `name: Screens ${RUN}`);
    const { workflow, executionId } = await createAndRun(yaml);
    for (let i = 0; i < 100; i++) {
      const e = await (await api(`/api/v1/executions/${executionId}`)).json();
      if (['succeeded', 'failed'].includes(e.status)) break;
      await page.waitForTimeout(100);
    }
    const screens = [
      ['workflows', '#/workflows', 'workflows-page'],
      ['editor', `#/workflows/${workflow.id}`, 'node-tag_user'],
      ['execution', `#/workflows/${workflow.id}/executions/${executionId}`, 'node-tag_user'],
      ['executions', '#/executions', 'executions-page'],
      ['credentials', '#/credentials', 'credentials-page'],
      ['deliveries', '#/deliveries', 'deliveries-page'],
      ['connectors', '#/connectors', 'connectors-page'],
      ['processes', '#/processes', 'processes-page'],
    ];
    try {
      for (const [width, height] of [[1280, 720], [1920, 1080]]) {
        await page.setViewportSize({ width, height });
        for (const [name, hash, ready] of screens) {
          await page.evaluate((h) => (window.location.hash = h), hash);
          await byId(ready).waitFor();
          await shot(`${name}-${width}x${height}`);
        }
      }
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
      await page.evaluate(() => (window.location.hash = '#/workflows'));
    }
  });

  test('logs no console errors', () => {
    assert.deepEqual(consoleErrors, []);
  });
});
