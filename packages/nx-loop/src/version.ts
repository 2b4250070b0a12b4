// Read once from the package manifest so `loop --version` never drifts from the package.
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const VERSION: string = require('../package.json').version;
