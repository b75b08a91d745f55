// node --import ./register.mjs harness.mjs: maps the k6 modules to mocks.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
