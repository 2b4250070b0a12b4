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
import { createNodes, createNodesV2, createDependencies } from './plugin/create-nodes';
export { createNodes, createNodesV2, createDependencies, type LoopPluginOptions } from './plugin/create-nodes';
export * from './build';
import type * as ComponentGeneratorModule from './generators/component/generator';
export { composeApp, defaultComposedFile, type ComposeResult, type ComposeOptions } from './compose';

// Nx loads this file as the plugin on every command (`nx show projects` included). The component
// generator needs @nx/devkit, whose index costs more to load than inferring 200 apps, so it is
// loaded on first use. Nx takes the plugin from `default` (and copies only that object, not
// these getters, which would load the generator).
export declare const componentGenerator: typeof ComponentGeneratorModule.componentGenerator;
export declare const generateComponentProject: typeof ComponentGeneratorModule.generateComponentProject;
const generator = new Proxy({} as typeof ComponentGeneratorModule, { get: (_, key) => require('./generators/component/generator')[key] });
// This exact getter shape lets Node's ESM loader see the names (`import { componentGenerator } from '@loop/nx'`).
Object.defineProperty(exports, 'componentGenerator', { enumerable: true, get: function () { return generator.componentGenerator; } });
Object.defineProperty(exports, 'generateComponentProject', { enumerable: true, get: function () { return generator.generateComponentProject; } });

export default { name: '@loop/nx', createNodes, createNodesV2, createDependencies };
