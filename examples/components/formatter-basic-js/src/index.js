// The plain default formatter of the hello app: "[basic] <text>".
// Interchangeable with formatter-fancy-ts (same world: example:hello/formatter-impl).
import { log } from 'loop:log/logger@0.1.0';

export const formatter = {
  format(text) {
    log('debug', `formatter-basic: formatting ${text.length} chars`);
    return `[basic] ${text}`;
  },
};
