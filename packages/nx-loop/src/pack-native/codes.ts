/** Error codes of pack-native (LOOP81x; LOOP801–806 belong to `loop host new`). */
export const CODES = {
  /** `--target` names no known target or group. */
  unknownTarget: 'LOOP810',
  /** The runtime host for a target has not been built / provided. */
  runtimeMissing: 'LOOP811',
  /** A macOS target: the runtime host cannot be built on this machine. */
  macosUnbuildable: 'LOOP812',
  /** `loop-host pack` / `loop-host compile` failed. */
  packFailed: 'LOOP813',
  /** The dev host (which precompiles and packs) could not be found or built. */
  devHostMissing: 'LOOP814',
  /** A component or plugin file of the graph is missing. */
  componentMissing: 'LOOP815',
  /** An app with its own host ([targets] native-host): a target other than this machine's. */
  customHostTarget: 'LOOP816',
  /** An app with its own host: its dir bundle cannot be laid out (plugin dir outside the app). */
  customBundle: 'LOOP817',
} as const;
