// Screenshots of the editor's main screens against `vite preview`, with the API either absent
// (calls fail: sign-in, error and empty states) or answered by scripts/mock-api.mjs.
//
//   npm run build && node scripts/screenshots.mjs [out-dir]
//
// Uses Debian's Chromium (CHROMIUM or /usr/bin/chromium); never downloads a browser. Fails when
// the page logs a console error other than the browser's own "failed to load resource" lines
// for API calls that are meant to fail.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { API_KEY, installMockApi } from './mock-api.mjs';

const out = process.argv[2] ?? 'screenshots';
mkdirSync(out, { recursive: true });
const port = Number(process.env.PREVIEW_PORT ?? 4173);
let base = process.env.WEFT_UI_URL;
let preview = null;

if (!base) {
  base = `http://127.0.0.1:${port}`;
  preview = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { stdio: 'ignore', detached: true });
  for (let i = 0; i < 60; i++) {
    try {
      if ((await fetch(base)).ok) break;
    } catch {
      // not up yet
    }
    await sleep(250);
  }
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const problems = [];

async function newPage({ signedIn = false, mock = null } = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'warning' && process.env.SHOW_WARNINGS) console.warn(`warning: ${msg.text()}`);
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (/Failed to load resource/.test(text)) return; // the API calls meant to fail
    problems.push(`${page.url()}: ${text}`);
  });
  page.on('pageerror', (e) => problems.push(`${page.url()}: ${e.message}`));
  // Nothing may be loaded from outside the server.
  await page.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, (route) => {
    problems.push(`external request: ${route.request().url()}`);
    return route.abort();
  });
  if (mock) await installMockApi(page, mock);
  // Signed-in screens: the mock answers GET /api/v1/session; a real server needs the cookie.
  // Signed-in screens: with the mock, a weft_session cookie is enough; a real server issues one.
  if (signedIn && mock) await page.context().addCookies([{ name: 'weft_session', value: 'mock', url: base }]);
  else if (signedIn) await page.request.post(`${base}/api/v1/session`, { data: { api_key: API_KEY } }).catch(() => {});
  return page;
}

async function shot(page, name) {
  await sleep(350);
  await page.screenshot({ path: join(out, `${name}.png`) });
  console.log(`wrote ${name}.png`);
}

/** @type {import('playwright-core').Page} */
let page;
try {
  // 1. Sign-in, with no server behind /api.
  page = await newPage();
  await page.goto(base);
  await page.getByTestId('sign-in').waitFor();
  await shot(page, '01-sign-in');
  await page.getByTestId('api-key').fill('nope');
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('sign-in-error').waitFor();
  await shot(page, '02-sign-in-no-server');

  // 2. A refused key (the mock answers 401).
  page = await newPage({ mock: {} });
  await page.goto(base);
  await page.getByTestId('api-key').fill('wrong-key');
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('sign-in-error').waitFor();
  await shot(page, '03-sign-in-refused');
  await page.getByTestId('api-key').fill(API_KEY);
  await page.getByTestId('sign-in-submit').click();
  await page.getByTestId('workflow-table').waitFor();

  // 3. Signed in but the server is gone: error state, no endless spinner.
  page = await newPage({ signedIn: true });
  await page.goto(base);
  await page.getByText('Could not load the workflows').waitFor();
  await shot(page, '04-workflows-server-down');

  // 4. Empty list.
  page = await newPage({ signedIn: true, mock: { empty: true } });
  await page.goto(base);
  await page.getByText('No workflows yet').waitFor();
  await shot(page, '05-workflows-empty');
  await page.getByTestId('new-workflow').first().click();
  await page.getByTestId('workflow-name-input').fill('New customer to CRM');
  await shot(page, '06-new-workflow-dialog');
  await page.getByTestId('create-workflow').click();
  await page.getByTestId('editor').waitFor();
  await shot(page, '07-editor-empty-canvas');
  await page.getByTestId('palette-http').click();
  await page.getByTestId('step-panel').waitFor();
  await page.getByTestId('with-url').fill('{{env.API_URL}}/users');
  await page.getByTestId('with-method').selectOption('POST');
  await shot(page, '08-editor-first-step');
  await page.getByTestId('with-url').fill('{{env.API_URL}}/users/{{trig');
  await page.getByTestId('completions').waitFor();
  await shot(page, '08b-editor-completion-trigger');
  await page.getByTestId('with-url').fill('{{env.API_URL}}/users');
  // Drag an action onto the canvas, then connect it by dragging from an output handle.
  await page.getByTestId('palette-set').dragTo(page.getByTestId('canvas'), { targetPosition: { x: 420, y: 560 } });
  await page.getByTestId('node-set_1').waitFor();
  await page.locator('[data-testid="node-set_1"]').getByText('Not connected').waitFor();
  await page.locator('.react-flow__node[data-id="http_1"] .react-flow__handle.source').dragTo(page.locator('.react-flow__node[data-id="set_1"] .react-flow__handle.target'));
  await page.locator('.react-flow__edge[data-id="e:http_1->set_1"]').waitFor();
  await shot(page, '08c-editor-dropped-and-connected');

  // 5. The list with the examples.
  page = await newPage({ signedIn: true, mock: {} });
  await page.goto(base);
  await page.getByTestId('workflow-table').waitFor();
  await shot(page, '09-workflows-list');
  const row = (name) => page.locator(`tr[data-name="${name}"]`);
  await row('Enrich a lead').getByTestId('rename').click();
  await page.getByTestId('rename-input').fill('Enrich a lead (renamed)');
  await shot(page, '09b-rename');
  await page.getByTestId('rename-save').click();
  await row('Enrich a lead (renamed)').waitFor();
  await row('Enrich a lead (renamed)').getByTestId('duplicate').click();
  await row('Enrich a lead (renamed) (copy)').waitFor();
  await row('Enrich a lead (renamed) (copy)').getByTestId('active-toggle').click();
  await row('Enrich a lead (renamed) (copy)').locator('[data-testid="active-toggle"][aria-checked="true"]').waitFor();
  await row('Enrich a lead (renamed) (copy)').getByTestId('delete').click();
  await shot(page, '09c-delete-confirm');
  await page.getByTestId('confirm-button').click();
  await row('Enrich a lead (renamed) (copy)').waitFor({ state: 'detached' });
  await page.getByTestId('workflow-search').fill('orders');
  await page.locator('tr[data-name]').nth(1).waitFor({ state: 'detached' });
  await page.getByTestId('workflow-search').fill('');

  // 6. The create-user example in the editor.
  await page.locator('tr[data-name="Create and tag a user"] [data-testid="workflow-link"]').click();
  await page.getByTestId('node-create_user').waitFor();
  await shot(page, '10-editor-create-user');
  await page.getByTestId('node-$trigger').click();
  await page.getByTestId('trigger-panel').waitFor();
  await shot(page, '11-editor-trigger-panel');
  await page.getByTestId('node-get_user').click();
  await page.getByTestId('step-panel').waitFor();
  await shot(page, '12-editor-step-panel');
  const url = page.getByTestId('with-url');
  await url.click();
  await url.press('End');
  await url.type('?x={{steps.cr');
  await page.getByTestId('completions').waitFor();
  await shot(page, '13-editor-completion');
  await url.press('Escape');
  await page.getByTestId('tab-yaml').click();
  await shot(page, '14-editor-step-yaml');
  await page.keyboard.press('Escape');
  await page.getByTestId('canvas').click({ position: { x: 30, y: 30 } });
  await page.getByTestId('run-now').click();
  await page.locator('[data-testid="node-reply"][data-status="succeeded"]').waitFor();
  await shot(page, '15-editor-run-succeeded');
  await page.getByTestId('node-create_user').click();
  await page.getByTestId('tab-output').click();
  await page.getByTestId('step-run-output').waitFor();
  await shot(page, '16-editor-step-output');
  await page.getByTestId('canvas').click({ position: { x: 30, y: 30 } });
  await page.getByTestId('tab-executions').click();
  await page.getByTestId('execution-list').waitFor();
  await sleep(300);
  await shot(page, '17-editor-executions');
  await page.locator('[data-testid^="execution-"][data-status="failed"]').first().click();
  await page.getByTestId('view-banner').waitFor();
  await page.locator('[data-testid="node-get_user"][data-status="failed"]').waitFor();
  await shot(page, '18-editor-failed-execution');
  await page.getByTestId('back-to-draft').click();
  await page.getByTestId('tab-versions').click();
  await page.getByTestId('versions-panel').waitFor();
  await page.getByTestId('version-1').getByTestId('version-view').click();
  await page.getByTestId('view-banner').waitFor();
  await shot(page, '19-editor-versions');
  await page.getByTestId('back-to-draft').click();
  await page.getByTestId('version-2').getByTestId('version-compare').click();
  await page.getByTestId('version-diff-lines').waitFor();
  await shot(page, '19b-editor-version-diff');
  await page.keyboard.press('Escape');
  await page.getByTestId('tab-settings').click();
  await shot(page, '19b-editor-settings');
  await page.getByTestId('node-$trigger').click();
  await page.getByTestId('listen-test-event').click();
  await page.getByText('No call arrived').waitFor();
  await page.getByTestId('trigger-type').selectOption('schedule');
  await page.getByTestId('cron-preview').waitFor();
  await shot(page, '19c-editor-schedule');
  await page.keyboard.press('Escape');
  await page.locator('.react-flow__pane').click({ position: { x: 20, y: 20 } });
  await page.keyboard.press('Control+z');
  await page.getByTestId('node-$trigger').getByText('Webhook').waitFor();

  // 7. Branches.
  await page.goto(`${base}/#/workflows`);
  await page.locator('tr[data-name="Route orders by amount"] [data-testid="workflow-link"]').click();
  await page.getByTestId('node-big_order').waitFor();
  await shot(page, '20-editor-branches');

  // 8. Problems from validation on the node and field.
  page = await newPage({
    signedIn: true,
    mock: { problems: [{ path: 'steps[1].with.url', step: 'get_user', field: 'with.url', location: { line: 24, column: 12 }, message: 'steps.nope is not a step upstream of get_user' }] },
  });
  await page.goto(base);
  await page.locator('tr[data-name="Create and tag a user"] [data-testid="workflow-link"]').click();
  await page.locator('[data-testid="node-get_user"][data-problems="true"]').waitFor();
  await page.getByTestId('node-get_user').click();
  await shot(page, '21-editor-problems');

  // 9. Import with problems.
  await page.goto(`${base}/#/workflows`);
  await page.getByTestId('import-open').click();
  await page.getByTestId('tab-paste').click();
  await page.getByTestId('import-text').fill('name: Broken\ntrigger:\n  type: webhook\n  path: x\nsteps:\n  - id: a\n    action: http\n    with: { url: "{{steps.nope}}" }\n');
  await page.getByTestId('import-submit').click();
  await page.getByTestId('problem-list').waitFor();
  await shot(page, '22-import-problems');

  // 10. All executions.
  await page.goto(`${base}/#/executions`);
  await page.getByTestId('execution-list').waitFor();
  await sleep(300);
  await shot(page, '23-executions');
} catch (e) {
  await page?.screenshot({ path: join(out, 'failure.png') }).catch(() => {});
  console.error(problems.join('\n'));
  throw e;
} finally {
  await browser.close();
  if (preview) process.kill(-preview.pid);
}

if (problems.length) {
  console.error(`console errors:\n${problems.join('\n')}`);
  process.exit(1);
}
console.log('no console errors');
