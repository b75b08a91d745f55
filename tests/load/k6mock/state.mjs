// Shared record of what the script under test did.
export const state = (globalThis.__k6mock ??= {
  requests: [],
  metrics: {},
  checks: [],
  aborted: null,
  responseCallback: null,
  nextResponse: { status: 200, body: '{"decision":"Allow","threat_score":1.0}', timings: { duration: 2 } },
});
