/**
 * Imported for its effect, before anything loads `@apollo/gateway` or `@apollo/query-planner`.
 *
 * `@apollo/federation-internals` is compiled by TypeScript to CommonJS, and its index
 * re-exports every submodule through a getter per name (`__createBinding`:
 * `get: function () { return m[k]; }`). @apollo/gateway's result shaping reads helpers
 * through it for every value of an answer (`federation_internals_1.assert`,
 * `isNonNullType`, ...), and V8 does not inline those getters: in the gateway's profile of
 * 3,000 latest100 requests they were 5.6 % of its CPU, the largest single entry after GC
 * and socket writes. `node dist/bench/query/stages.js`, the gateway's parse, merge and
 * shaping, CPU ms: rawDay 573-657 -> 399-431, hourYear 174-200 -> 116-121 with the module's
 * exports as plain values.
 *
 * So the module's exports are replaced, in Node's module cache, by a copy holding the same
 * values as plain properties: the same functions and classes (instanceof still holds
 * across the two objects), read once. That is only sound because the package assigns none
 * of its exports after loading (its compiled files have no `exports.x = ...` inside a
 * function; checked for the version in package-lock.json, and the gateway's and
 * end-to-end tests run through it). Under jest, which keeps its own module registry, this
 * changes nothing.
 */
const id = require.resolve('@apollo/federation-internals');
// eslint-disable-next-line @typescript-eslint/no-require-imports
const bindings = require(id) as Record<string, unknown>;
const cached = require.cache[id];
if (cached && Object.getOwnPropertyDescriptor(bindings, 'assert')?.get) {
  const plain: Record<string, unknown> = { ...bindings };
  Object.defineProperty(plain, '__esModule', { value: true });
  cached.exports = plain;
}

export {};
