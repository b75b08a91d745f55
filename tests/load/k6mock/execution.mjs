import { state } from './state.mjs';

export default {
  test: {
    abort: (msg) => {
      state.aborted = msg;
      throw new Error(`aborted: ${msg}`);
    },
  },
  scenario: { startTime: Date.now() - 200000 }, /* 200 s in: just after the spike */
  vu: { idInTest: 3 },
};
