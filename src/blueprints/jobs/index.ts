export * from './parse.js';
export * from './repository.js';
export * from './resolve.js';
export * from './spec.js';
export * from './yaml-document.js';
