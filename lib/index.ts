/**
 * The library entry: what a TypeScript config imports (`import { defineConfig } from '<package>'`).
 * Only the config's types and their identity helper; the engine is reached through the CLI.
 */
export { defineConfig, type VantageCheck, type VantageConfig } from '../shared/config/define.ts';
