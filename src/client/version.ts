/** Lily's version (from its package.json): what `lily --version` prints and runs pin. */
export { LILY_VERSION } from '../actors/runtime/version.js';
