// A plugin that upper-cases text. Exports loop:plugin/plugin (info + handle) and logs
// through loop:log. The transform lives in its own module: the build bundles both.
import { log } from 'loop:log/logger@0.1.0';
import { upper } from './transform.js';

export const plugin = {
  info() {
    return { name: 'upper', version: '0.1.0', description: 'Upper-cases text' };
  },
  handle(input) {
    const out = upper(input);
    log('info', `upper: ${[...input].length} chars`);
    return out;
  },
};
