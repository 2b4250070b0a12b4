export const entry = { run() {} };
