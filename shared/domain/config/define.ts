import type { NorthstarConfigInput } from './schema.js';

/**
 * Types a configuration written as a TypeScript module. `const` keeps event and
 * property names as literal types, so the typed client can be derived from it.
 */
export function defineConfig<const T extends NorthstarConfigInput>(config: T): T {
  return config;
}
