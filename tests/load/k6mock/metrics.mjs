import { state } from './state.mjs';

function metric(kind) {
  return class {
    constructor(name, isTime) {
      this.name = name;
      state.metrics[name] = { kind, isTime: !!isTime, values: [] };
    }
    add(v) {
      state.metrics[this.name].values.push(v);
    }
  };
}
export const Counter = metric('counter');
export const Rate = metric('rate');
export const Trend = metric('trend');
export const Gauge = metric('gauge');
