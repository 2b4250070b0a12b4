/**
 * The capability catalogue: every `loop:*` package a manifest may grant, the provider
 * backends each host implements for it, and what an app gets when it says nothing.
 * Hosts (native Rust, browser worker) implement exactly these names.
 */
export type Platform = 'native' | 'web';
export const PLATFORMS: readonly Platform[] = ['native', 'web'];

export interface CapabilitySpec {
  /** What it is for, shown in errors and docs. */
  summary: string;
  /** Provider backends per platform; the first is the default. Empty = not on that platform. */
  providers: Record<Platform, readonly string[]>;
  /**
   * Linked without a `[capabilities]` section (subject to trust). Capabilities that
   * reach outside the sandbox (files, network, processes, the page) must be configured.
   */
  ambient: boolean;
  /** Keys a `[capabilities."loop:x"]` table may carry besides `provider`. */
  settings: readonly string[];
}

export const CAPABILITIES: Readonly<Record<string, CapabilitySpec>> = {
  'loop:log': {
    summary: 'leveled logging',
    providers: { native: ['stdout', 'file', 'jsonl'], web: ['console'] },
    ambient: true,
    settings: ['path', 'level'],
  },
  'loop:fs': {
    summary: "files under the component's scoped root",
    providers: { native: ['host-dir', 'memory'], web: ['opfs', 'memory'] },
    ambient: false,
    settings: ['root'],
  },
  'loop:http': {
    summary: 'outgoing HTTP requests to allow-listed origins',
    providers: { native: ['wasi-http'], web: ['fetch'] },
    ambient: false,
    settings: ['allow'],
  },
  'loop:clock': {
    summary: 'wall clock and monotonic time',
    providers: { native: ['os'], web: ['performance'] },
    ambient: true,
    settings: [],
  },
  'loop:random': {
    summary: 'entropy',
    providers: { native: ['os'], web: ['crypto'] },
    ambient: true,
    settings: [],
  },
  'loop:kv': {
    summary: 'small key-value store',
    providers: { native: ['memory', 'file'], web: ['memory', 'indexeddb', 'webstorage'] },
    ambient: true,
    settings: ['path'],
  },
  'loop:plugin': {
    summary: 'listing and calling plugins',
    providers: { native: ['registry'], web: ['registry'] },
    ambient: true,
    settings: [],
  },
  'loop:process': {
    summary: 'spawning host processes (trusted only)',
    providers: { native: ['os'], web: [] },
    ambient: false,
    settings: ['allow'],
  },
  'loop:dom': {
    summary: 'raw DOM access (trusted, browser only)',
    providers: { native: [], web: ['main-thread'] },
    ambient: false,
    settings: [],
  },
  'loop:ui': {
    summary: 'UI tree rendering (unsupported until a real provider lands)',
    providers: { native: ['stub'], web: ['stub'] },
    ambient: true,
    settings: [],
  },
  'loop:gfx': {
    summary: 'drawing (unsupported until a real provider lands)',
    providers: { native: ['stub'], web: ['stub'] },
    ambient: true,
    settings: [],
  },
  'loop:input': {
    summary: 'input events (unsupported until a real provider lands)',
    providers: { native: ['stub'], web: ['stub'] },
    ambient: true,
    settings: [],
  },
  'loop:window': {
    summary: 'windows (unsupported until a real provider lands)',
    providers: { native: ['stub'], web: ['stub'] },
    ambient: true,
    settings: [],
  },
};

export const CAPABILITY_NAMES = Object.keys(CAPABILITIES).sort();

/**
 * A package a custom native host provides (`acme:greeting`): any `namespace:package` outside
 * `loop:` and `wasi:`. Its only provider is "host", on native, and only a custom host
 * (`[targets] native-host`) links it; trust gating treats it like a `loop:*` package.
 */
export const isHostPackage = (name: string): boolean => /^(?!loop:|wasi:)[a-z][a-z0-9-]*:[a-z][a-z0-9-]*$/.test(name);
export const HOST_PROVIDER = 'host';

/** Interfaces of the app's own package: every component may import them. */
export const ALWAYS_ALLOWED = 'loop:app';

/**
 * Trust classes an app has without declaring them. Untrusted code gets everything but
 * host processes and the raw DOM (the seed's rule); trusted code gets everything.
 */
export const DEFAULT_TRUST: Readonly<Record<string, { allow: readonly string[] }>> = {
  trusted: { allow: ['*'] },
  untrusted: { allow: CAPABILITY_NAMES.filter((c) => c !== 'loop:process' && c !== 'loop:dom') },
};

export const DEFAULT_LIMITS = { 'deadline-ms': 5000, 'memory-mb': 256 } as const;

export const NATIVE_TARGETS = ['linux-x64', 'linux-arm64', 'windows-x64', 'macos-x64', 'macos-arm64'] as const;
