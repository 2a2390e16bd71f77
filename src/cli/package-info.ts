/**
 * The package's own name and version, and the files it ships (`util/package.ts`).
 * @module
 */
export { packageFile, packageInfo } from '../util/package.js';
