// k6 provides CommonJS require() in ES module scripts; @types/k6 does not declare it.
// Used only to load a module whose name depends on the k6 version (lib/k6-env.js).
declare function require(id: string): any;
