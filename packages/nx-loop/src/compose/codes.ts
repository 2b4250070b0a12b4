/** Error codes of static composition (`loop compose`, the `compose` executor): LOOP43x. Listed in the README's error table by the lead. */
export const CODES = {
  /** The entry imports an interface no host serves and no default component exports. */
  unsatisfied: 'LOOP430',
  /** Several default components export the same interface the entry (or a plug) imports. */
  ambiguous: 'LOOP431',
  /** Default components import each other in a cycle. */
  cycle: 'LOOP432',
  /** A plugged default imports a capability its own trust class does not allow. */
  denied: 'LOOP433',
  /** A plugged default's config disagrees with the entry's on a key (composed, they share one). */
  configConflict: 'LOOP434',
  /** A component file is missing or is not a WebAssembly component. */
  badInput: 'LOOP435',
  /** `wac` is not installed (or LOOP_WAC points nowhere). */
  toolMissing: 'LOOP436',
  /** `wac plug` failed, or its output still imports a plugged interface. */
  toolFailed: 'LOOP437',
  /** The app's entry component is missing from the resolved graph. */
  noEntry: 'LOOP438',
  /** The graph file would not sit next to the composed file. */
  badOutput: 'LOOP439',
} as const;
