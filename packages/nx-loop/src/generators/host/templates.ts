/** Host templates `loop host new` / `nx g @loop/nx:host` know (kept apart so the CLI loads no Nx code to list them). */
export const HOST_TEMPLATES = ['browser-worker', 'native-wasmtime'] as const;
