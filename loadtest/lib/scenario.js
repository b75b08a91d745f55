// Turns a scenario file (loadtest/scenarios/*.json) into a k6 test, so that
// `k6 run loadtest/baseline.js` runs the same test as
// `proxilion-load run baseline`.  The JSON is the single definition; this
// module only translates it.  loadtest/README.md documents the format.
//
// Rules shared with proxilion-load (src/load/):
//  - ${__VU}, ${__ITER}, ${timestamp} are filled in per iteration; ${__ENV.X}
//    once, JSON-escaped when the body was written as a JSON value; any other
//    ${...} is an error at start-up.
//  - 200 and 403 are expected responses (403 = the gateway blocked a threat),
//    via http.setResponseCallback(http.expectedStatuses(...)), so
//    http_req_failed counts only real failures.
//  - errors (Rate) = "some check failed" per iteration; analysis_duration
//    (Trend) = the request's duration; requests_blocked (Counter) = 403s.
//  - setup() aborts the test (exit code 108) unless GET /health answers 200.
import http from 'k6/http';
import { check, sleep } from 'k6';
import exec from 'k6/execution';
import { Counter, Rate, Trend } from 'k6/metrics';

const errors = new Rate('errors');
const analysisDuration = new Trend('analysis_duration', true);
const requestsBlocked = new Counter('requests_blocked');

const TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'];
// Metrics only proxilion-load can compute (time series, /proc of the target).
const NATIVE_ONLY = ['spike_recovery_time', 'target_rss', 'target_rss_growth'];

const UNITS = { h: 3600000, m: 60000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

export function durationMs(d) {
  if (typeof d === 'number') return d; // k6: a number is milliseconds
  let rest = String(d);
  if (rest.length === 0) throw new Error('empty duration');
  let total = 0;
  while (rest.length > 0) {
    const m = /^(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/.exec(rest);
    if (m === null) throw new Error(`not a duration: ${d}`);
    total += parseFloat(m[1]) * UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return total;
}

function compile(text, jsonEscape) {
  const parts = [];
  const re = /\$\{([^}]*)\}/g;
  let last = 0;
  let m;
  while ((m = re.exec(text)) !== null) {
    parts.push(text.slice(last, m.index));
    const name = m[1];
    if (name === '__VU' || name === '__ITER' || name === 'timestamp') {
      parts.push({ slot: name });
    } else if (name.startsWith('__ENV.')) {
      const v = __ENV[name.slice(6)];
      const s = v === undefined ? '' : String(v);
      parts.push(jsonEscape ? JSON.stringify(s).slice(1, -1) : s);
    } else {
      throw new Error(`template: unknown placeholder '\${${name}}' (known: __VU, __ITER, __ENV.NAME, timestamp)`);
    }
    last = re.lastIndex;
  }
  parts.push(text.slice(last));
  return parts;
}

function render(parts, vu, iter) {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else if (p.slot === '__VU') out += vu;
    else if (p.slot === '__ITER') out += iter;
    else out += Date.now();
  }
  return out;
}

// Same semantics as the native json_has: the dotted path exists.
export function jsonHas(body, path) {
  let cur;
  try {
    cur = JSON.parse(body);
  } catch (e) {
    return false;
  }
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return false;
    if (Array.isArray(cur)) {
      if (!/^\d+$/.test(part) || Number(part) >= cur.length) return false;
      cur = cur[Number(part)];
    } else {
      if (!Object.prototype.hasOwnProperty.call(cur, part)) return false;
      cur = cur[part];
    }
  }
  return true;
}

function checkFn(c) {
  return (r) => {
    if (c.status_in && !c.status_in.includes(r.status)) return false;
    if (c.max_duration_ms !== undefined && !(r.timings.duration < c.max_duration_ms)) return false;
    if (c.json_has !== undefined && !jsonHas(r.body, c.json_has)) return false;
    return true;
  };
}

function executorConfig(sc) {
  const executor = sc.executor || (sc.stages ? 'ramping-vus' : 'constant-vus');
  const cfg = { executor };
  const copy = {
    'constant-vus': ['vus', 'duration'],
    'ramping-vus': ['startVUs', 'stages', 'gracefulRampDown'],
    'constant-arrival-rate': ['rate', 'timeUnit', 'duration', 'preAllocatedVUs', 'maxVUs'],
    'ramping-arrival-rate': ['startRate', 'timeUnit', 'stages', 'preAllocatedVUs', 'maxVUs'],
  }[executor];
  if (!copy) throw new Error(`executor: unknown '${executor}'`);
  for (const k of copy.concat(['gracefulStop'])) if (sc[k] !== undefined) cfg[k] = sc[k];
  if (executor === 'ramping-vus' && cfg.startVUs === undefined) cfg.startVUs = 1;
  return cfg;
}

// Spike recovery, k6 edition: k6 keeps no time series, so requests are tagged
// with the phase they fall in ("pre" = the first stage, "s<i>w<k>" = window k
// after spike i) and handleSummary compares each window's p95 with the
// pre-spike p95 -- the rule proxilion-load applies to its per-second data.
export function recoveryPlan(sc) {
  if (!sc.recovery || !sc.stages || sc.stages.length < 2) return null;
  const rc = sc.recovery;
  let level = sc.executor === 'ramping-arrival-rate' ? sc.startRate || 0 : sc.startVUs === undefined ? 1 : sc.startVUs;
  if (sc.stages[0].target > 0 && sc.stages[0].target < level) level = sc.stages[0].target;
  if (level <= 0) level = sc.stages[0].target;
  const plan = {
    refEnd: durationMs(sc.stages[0].duration),
    window: durationMs(rc.window || '5s'),
    within: durationMs(rc.within || '30s'),
    tolerance: rc.tolerance === undefined ? 0.25 : rc.tolerance,
    slack: rc.slack_ms === undefined ? 1 : rc.slack_ms,
    spikes: [],
  };
  let t = 0;
  let from = level;
  sc.stages.forEach((st, i) => {
    t += durationMs(st.duration);
    if (i > 0 && from > level * 1.0001 && st.target <= level * 1.0001 && i + 1 < sc.stages.length) {
      plan.spikes.push({ end: t, limit: t + durationMs(sc.stages[i + 1].duration) });
    }
    from = st.target;
  });
  return plan.spikes.length ? plan : null;
}

function phaseOf(plan, elapsed) {
  if (elapsed < plan.refEnd) return 'pre';
  for (let i = 0; i < plan.spikes.length; i++) {
    const s = plan.spikes[i];
    const into = elapsed - s.end;
    if (into >= 0 && into < Math.min(plan.within, s.limit - s.end)) return `s${i}w${Math.floor(into / plan.window)}`;
  }
  return 'other';
}

function fmtMs(v) {
  if (v === undefined || v === null) return '-';
  if (v < 1) return `${(v * 1000).toFixed(2)}µs`;
  if (v < 1000) return `${v.toFixed(2)}ms`;
  return `${(v / 1000).toFixed(2)}s`;
}

// A compact text summary in the layout proxilion-load prints.  handleSummary
// replaces k6's own summary, and k6's textSummary lives on a remote jslib
// that these scripts must not need, hence this small version.
export function textSummary(data, extra) {
  const lines = ['', '  █ THRESHOLDS', ''];
  const names = Object.keys(data.metrics).sort();
  let allOk = true;
  for (const name of names) {
    const m = data.metrics[name];
    if (!m.thresholds || name.includes('{phase:')) continue;
    lines.push(`    ${name}`);
    for (const [expr, res] of Object.entries(m.thresholds)) {
      allOk = allOk && res.ok;
      lines.push(`    ${res.ok ? '✓' : '✗'} '${expr}'`);
    }
    lines.push('');
  }
  lines.push('', '  █ TOTAL RESULTS', '');
  for (const c of (data.root_group && data.root_group.checks) || []) {
    lines.push(`    ${c.fails ? '✗' : '✓'} ${c.name}${c.fails ? `  ↳ ✓ ${c.passes} / ✗ ${c.fails}` : ''}`);
  }
  lines.push('');
  for (const name of names) {
    if (name.includes('{phase:')) continue;
    const m = data.metrics[name];
    const v = m.values;
    let text;
    if (m.type === 'trend') text = TREND_STATS.filter((s) => s in v).map((s) => `${s}=${fmtMs(v[s])}`).join(' ');
    else if (m.type === 'rate') text = `${(v.rate * 100).toFixed(2)}%  ${v.passes} out of ${v.passes + v.fails}`;
    else if (m.type === 'counter') text = `${v.count}  ${v.rate.toFixed(2)}/s`;
    else text = `${v.value}  min=${v.min} max=${v.max}`;
    lines.push(`    ${(name + ' ').padEnd(36, '.')}: ${text}`);
  }
  if (extra) lines.push('', extra);
  lines.push('', `${allOk ? '✓' : '✗'} thresholds ${allOk ? 'passed' : 'crossed'}`, '');
  return lines.join('\n');
}

export function recoveryReport(plan, data) {
  const p95 = (phase) => {
    const m = data.metrics[`http_req_duration{phase:${phase}}`];
    return m && m.values && m.values.max > 0 ? m.values['p(95)'] : undefined;
  };
  const ref = p95('pre');
  if (ref === undefined) return { text: '  █ SPIKE RECOVERY\n\n    no pre-spike samples', spikes: [] };
  const target = ref * (1 + plan.tolerance) + plan.slack;
  const out = [`  █ SPIKE RECOVERY`, '', `    pre-spike p95 ${fmtMs(ref)}; recovered = a ${plan.window / 1000}s window with p95 <= ${fmtMs(target)}`];
  const spikes = plan.spikes.map((s, i) => {
    const windows = Math.ceil(Math.min(plan.within, s.limit - s.end) / plan.window);
    for (let k = 0; k < windows; k++) {
      const v = p95(`s${i}w${k}`);
      if (v !== undefined && v <= target) {
        const secs = ((k + 1) * plan.window) / 1000;
        out.push(`    ✓ spike ${i + 1}: recovered after ${secs}s (window p95 ${fmtMs(v)})`);
        return { recovered: true, recovery_s: secs };
      }
    }
    out.push(`    ✗ spike ${i + 1}: NOT recovered within ${plan.within / 1000}s`);
    return { recovered: false };
  });
  return { text: out.join('\n'), spikes };
}

export function scenario(text) {
  const sc = JSON.parse(text);
  const name = sc.name || 'scenario';
  const req = sc.request || {};
  const method = req.method || (sc.payloads ? 'POST' : 'GET');
  const baseUrl = (__ENV.TARGET_URL || 'http://localhost:8787').replace(/\/+$/, '');
  const url = baseUrl + (req.path || '/');
  const headers = Object.assign({}, req.headers || {});
  const payloads = (sc.payloads || []).map((p) => ({
    weight: p.weight === undefined ? 1 : p.weight,
    name: p.name,
    parts: compile(typeof p.body === 'string' ? p.body : JSON.stringify(p.body), typeof p.body !== 'string'),
  }));
  const totalWeight = payloads.reduce((a, p) => a + p.weight, 0);
  const checks = Object.entries(sc.checks || {}).map(([n, c]) => [n, checkFn(c)]);
  const expected = sc.expected_statuses || [{ min: 200, max: 399 }];
  http.setResponseCallback(http.expectedStatuses(...expected));
  const plan = recoveryPlan(sc);

  const thresholds = {};
  for (const [metric, list] of Object.entries(sc.thresholds || {})) {
    if (!NATIVE_ONLY.includes(metric)) thresholds[metric] = list;
  }
  if (plan) {
    // Declaring a threshold is what makes k6 keep a tagged sub-metric.
    thresholds['http_req_duration{phase:pre}'] = ['max>=0'];
    plan.spikes.forEach((s, i) => {
      const windows = Math.ceil(Math.min(plan.within, s.limit - s.end) / plan.window);
      for (let k = 0; k < windows; k++) thresholds[`http_req_duration{phase:s${i}w${k}}`] = ['max>=0'];
    });
  }
  const options = {
    scenarios: { [name]: executorConfig(sc) },
    thresholds,
    summaryTrendStats: TREND_STATS,
  };

  function pick(iter) {
    if (sc.select === 'rotate') return payloads[iter % payloads.length];
    let x = Math.random() * totalWeight;
    for (const p of payloads) {
      if (x < p.weight) return p;
      x -= p.weight;
    }
    return payloads[payloads.length - 1];
  }

  function setup() {
    const health = sc.setup && Object.prototype.hasOwnProperty.call(sc.setup, 'health') ? sc.setup.health : '/health';
    if (health === null) return {};
    const res = http.get(baseUrl + health, { tags: { name: 'setup health check' } });
    if (res.status !== 200) {
      exec.test.abort(`setup failed: health check GET ${baseUrl}${health}: ${res.status ? `status ${res.status}` : res.error}`);
    }
    return {};
  }

  function run() {
    const tags = {};
    if (plan) tags.phase = phaseOf(plan, Date.now() - exec.scenario.startTime);
    const params = { headers, tags };
    if (req.timeout !== undefined) params.timeout = req.timeout;
    const p = payloads.length ? pick(__ITER) : null;
    const body = p ? render(p.parts, __VU, __ITER) : null;
    const res = http.request(method, url, body, params);
    let ok;
    if (checks.length) {
      const set = {};
      for (const [n, f] of checks) set[n] = f;
      ok = check(res, set);
    } else {
      ok = res.status !== 0 && expected.some((e) => (typeof e === 'number' ? e === res.status : res.status >= e.min && res.status <= e.max));
    }
    errors.add(!ok);
    if (res.status !== 0) analysisDuration.add(res.timings.duration);
    if (res.status === 403) requestsBlocked.add(1);
    if (sc.sleep > 0) sleep(sc.sleep);
  }

  function handleSummary(data) {
    let extra = '';
    if (plan) {
      const rep = recoveryReport(plan, data);
      extra = rep.text;
      data.proxilion = { scenario: name, recovery: { spikes: rep.spikes } };
    }
    const out = { stdout: textSummary(data, extra) };
    // Same shape as proxilion-load --summary-export (k6's own data object).
    if (__ENV.SUMMARY_EXPORT) out[__ENV.SUMMARY_EXPORT] = JSON.stringify(data, null, 2);
    return out;
  }

  return { options, setup, run, handleSummary };
}
