// Loads each loadtest/*.js with mocked k6 modules and checks that it runs the
// test its scenario JSON defines.  Usage: node --import ./register.mjs harness.mjs SRC_DIR
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { state } from './state.mjs';

const src = process.argv[2];
globalThis.__ENV = { TARGET_URL: 'http://127.0.0.1:9/', SUMMARY_EXPORT: 'out.json' };
globalThis.__VU = 3;
globalThis.__ITER = 5;
// k6's open() resolves relative to the script; the wrappers live in loadtest/.
globalThis.open = (p) => fs.readFileSync(path.resolve(src, 'loadtest', p), 'utf8');

const expectedExecutor = { baseline: 'constant-vus', stress: 'ramping-vus', spike: 'ramping-vus', soak: 'ramping-vus' };

for (const name of ['baseline', 'stress', 'spike', 'soak']) {
  state.requests.length = 0;
  state.checks.length = 0;
  state.slept = undefined;
  const json = JSON.parse(fs.readFileSync(path.join(src, 'loadtest/scenarios', `${name}.json`), 'utf8'));
  const mod = await import(pathToFileURL(path.join(src, 'loadtest', `${name}.js`)).href + `?${name}`);

  // options: one scenario, the JSON's executor settings, its thresholds.
  const sc = mod.options.scenarios[name];
  assert.equal(sc.executor, expectedExecutor[name], `${name} executor`);
  if (json.stages) assert.deepEqual(sc.stages, json.stages, `${name} stages`);
  if (json.vus) assert.equal(sc.vus, json.vus);
  if (json.duration) assert.equal(sc.duration, json.duration);
  for (const [metric, list] of Object.entries(json.thresholds)) {
    if (metric === 'spike_recovery_time') {
      assert.equal(mod.options.thresholds[metric], undefined, 'native-only metric left out for k6');
    } else {
      assert.deepEqual(mod.options.thresholds[metric], list, `${name} ${metric}`);
    }
  }
  assert.ok(mod.options.summaryTrendStats.includes('p(99)'));
  assert.deepEqual(state.responseCallback, { expected: [200, 403] }, '200 and 403 are expected');

  // setup(): health must be 200, else the test aborts.
  state.nextResponse = { status: 200, body: '{"status":"healthy"}', timings: { duration: 1 } };
  mod.setup();
  assert.equal(state.requests.at(-1).url, 'http://127.0.0.1:9/health');
  state.nextResponse = { status: 503, body: '', timings: { duration: 1 } };
  assert.throws(() => mod.setup(), /aborted: setup failed: health check/);

  // One iteration: the request and the bookkeeping.
  state.nextResponse = { status: 403, body: '{"decision":"Block","threat_score":88.0}', timings: { duration: 2 } };
  state.requests.length = 0;
  mod.default();
  const req = state.requests[0];
  assert.equal(req.method, 'POST');
  assert.equal(req.url, 'http://127.0.0.1:9/analyze');
  assert.equal(req.params.headers['Content-Type'], 'application/json');
  const body = JSON.parse(req.body);
  assert.ok('tool_call' in body, `${name} body has a tool_call`);
  assert.match(body.user_id, /-3$/, 'user id per VU');
  assert.match(body.session_id, /-3$/, 'session id per VU');
  if (name === 'soak') {
    assert.deepEqual(body.tool_call, json.payloads[5 % 4].body.tool_call, 'soak rotates by __ITER');
  }
  if (name === 'spike') assert.match(req.params.tags.phase, /^s0w\d$/, 'tagged with its recovery window');
  assert.ok(state.checks.length > 0 && state.checks.every((c) => c.ok), JSON.stringify(state.checks));
  assert.deepEqual(state.metrics.errors.values.at(-1), false);
  assert.equal(state.metrics.requests_blocked.values.at(-1), 1);
  assert.equal(state.metrics.analysis_duration.values.at(-1), 2);
  assert.equal(state.slept ?? 0, json.sleep);
  state.slept = undefined;

  // A failed request: checks fail, errors records it.
  state.nextResponse = { status: 500, body: 'oops', timings: { duration: 3 } };
  mod.default();
  assert.equal(state.metrics.errors.values.at(-1), true);

  // handleSummary: stdout text, and the export in the same shape as ours.
  const data = {
    root_group: { checks: [{ name: 'has decision', passes: 9, fails: 1 }] },
    metrics: {
      http_req_duration: { type: 'trend', values: { avg: 1, min: 0.5, med: 1, max: 9, 'p(90)': 2, 'p(95)': 3, 'p(99)': 8 }, thresholds: { 'p(95)<50': { ok: true } } },
      'http_req_duration{phase:pre}': { type: 'trend', values: { max: 2, 'p(95)': 1 } },
      'http_req_duration{phase:s0w0}': { type: 'trend', values: { max: 90, 'p(95)': 80 } },
      'http_req_duration{phase:s0w1}': { type: 'trend', values: { max: 3, 'p(95)': 1.2 } },
      http_req_failed: { type: 'rate', values: { rate: 0, passes: 0, fails: 10 }, thresholds: { 'rate<0.01': { ok: true } } },
    },
  };
  const out = mod.handleSummary(data);
  assert.match(out.stdout, /✓ 'p\(95\)<50'/);
  assert.match(out.stdout, /✗ has decision/);
  assert.ok(JSON.parse(out['out.json']).metrics.http_req_duration.values['p(95)'] === 3);
  if (name === 'spike') assert.match(out.stdout, /spike 1: recovered after 10s/);
  console.log(`k6 harness: ${name} ok`);
}
console.log('k6 harness: scenarios ok');

// Durations parse like the native tool's.
const { durationMs } = await import(pathToFileURL(path.join(src, 'loadtest/lib/scenario.js')).href);
assert.equal(durationMs('1m30s'), 90000);
assert.equal(durationMs('500ms'), 500);
assert.equal(durationMs('1h2m3.5s'), 3723500);
assert.equal(durationMs(250), 250);
assert.throws(() => durationMs('10x'));
console.log('k6 harness: durations ok');
console.log('k6 harness: all ok');
