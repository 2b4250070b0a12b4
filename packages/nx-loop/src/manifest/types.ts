/** The manifest as written (after schema validation). Field names follow the TOML. */
export type ComponentClass = 'core' | 'default' | 'plugin';

export interface Limits {
  'deadline-ms'?: number;
  'memory-mb'?: number;
}

export interface ComponentDecl {
  source: string;
  class?: ComponentClass;
  trust?: string;
  capabilities?: string[];
  config?: Record<string, string>;
  limits?: Limits;
}

export type ProviderChoice = string | { native?: string; web?: string; fallback?: string };

export interface CapabilityDecl {
  provider?: ProviderChoice;
  [setting: string]: unknown;
}

export interface TrustClassDecl {
  allow: string[];
  keys?: string[];
  /** Without a valid signature by one of `keys`: refuse (default) or demote to untrusted. */
  unsigned?: 'refuse' | 'demote';
  description?: string;
}

export interface Manifest {
  app: { name: string; entry: string; version?: string; description?: string };
  components: Record<string, ComponentDecl>;
  plugins?: { dir: string; trust?: string; capabilities?: string[]; limits?: Limits };
  capabilities?: Record<string, CapabilityDecl>;
  trust?: Record<string, TrustClassDecl>;
  limits?: Limits;
  profiles?: Record<string, { components?: Record<string, Partial<Pick<ComponentDecl, 'source' | 'config' | 'limits'>>> }>;
  targets?: { native?: string[]; 'native-host'?: string; web?: { inline?: boolean } };
}

/** The marker file of a component project (`loop.component.toml`). */
export interface ComponentMarker {
  component: { name: string; language: 'rust' | 'js' | 'ts'; world: string; wit?: string };
}
