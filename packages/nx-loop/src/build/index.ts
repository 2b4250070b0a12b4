export { buildComponent, componentOutputPath } from './build-component';
export type { BuildOptions, BuildResult } from './build-component';
export { readComponentMarker, MARKER_FILE, JS_FEATURES } from './marker';
export type { ComponentBuildProject, ComponentLanguage, JsFeature } from './marker';
export { CODES as BUILD_ERROR_CODES } from './codes';
export { instantiateComponent, memoryProviders } from './run';
export type { Imports, Instantiated, LogRecord, MemoryProviders } from './run';
export { findWorkspaceRoot, resolveWit } from './workspace';
