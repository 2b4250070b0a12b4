/**
 * @loop/nx — the core library (manifest, resolver, builds, packing) and its Nx face
 * (createNodes inference, executors, generators). The `loop` CLI is bin/loop.js.
 */
export * from './errors';
export * from './manifest/capabilities';
export { readComponentProject, COMPONENT_MARKER, type ComponentProject } from './manifest/component-marker';
export { checkManifest, loadManifest, manifestPath, readManifest, validateManifestFile, MANIFEST_FILE } from './manifest/load';
export type * from './manifest/types';
export { resolveApp, graphJson, GRAPH_FORMAT, type ResolvedGraph, type ResolvedComponent, type ResolveOptions } from './resolve/resolve';
export { createNodes, createNodesV2, createDependencies, type LoopPluginOptions } from './plugin/create-nodes';
export * from './build';
export { componentGenerator, generateComponentProject } from './generators/component/generator';
export { composeApp, defaultComposedFile, type ComposeResult, type ComposeOptions } from './compose';
