import { state } from './state.mjs';

function respond(method, url, body, params) {
  state.requests.push({ method, url, body, params });
  return Object.assign({ error: '' }, state.nextResponse);
}
const http = {
  request: respond,
  get: (url, params) => respond('GET', url, null, params),
  post: (url, body, params) => respond('POST', url, body, params),
  expectedStatuses: (...s) => ({ expected: s }),
  setResponseCallback: (cb) => {
    state.responseCallback = cb;
  },
};
export default http;
