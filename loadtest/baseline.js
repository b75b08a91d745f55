// k6 run loadtest/baseline.js [-e TARGET_URL=http://127.0.0.1:8787] [-e SUMMARY_EXPORT=summary.json]
// The test is defined in scenarios/baseline.json; lib/scenario.js translates it,
// so this runs the same test as `proxilion-load run baseline`.
import { scenario } from './lib/scenario.js';

const s = scenario(open('./scenarios/baseline.json'));

export const options = s.options;
export const setup = s.setup;
export const handleSummary = s.handleSummary;
export default s.run;
