import { state } from './state.mjs';

export function check(res, set) {
  let all = true;
  for (const [name, fn] of Object.entries(set)) {
    const ok = !!fn(res);
    state.checks.push({ name, ok });
    all = all && ok;
  }
  return all;
}
export function sleep(s) {
  state.slept = s;
}
export function fail(msg) {
  throw new Error(msg);
}
export default { check, sleep, fail };
