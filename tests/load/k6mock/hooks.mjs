const mocks = { k6: 'k6.mjs', 'k6/http': 'http.mjs', 'k6/metrics': 'metrics.mjs', 'k6/execution': 'execution.mjs' };

export async function resolve(specifier, context, next) {
  if (mocks[specifier]) return { url: new URL(mocks[specifier], import.meta.url).href, shortCircuit: true };
  return next(specifier, context);
}
