import { execFileSync } from 'node:child_process';
import { fromRoot } from '../../lib/paths';
import { buildOnce } from '../helpers/run-cli';

/**
 * In a plain Node process (jest keeps its own module registry, where the module does
 * nothing): after gateway/federation-internals, @apollo/gateway's result shaping sees
 * @apollo/federation-internals' exports as plain values, the same values as the getters
 * gave. A dependency upgrade that changes how the package exports fails here.
 */
describe('gateway/federation-internals', () => {
  it('gives @apollo/gateway the same exports, as plain values', () => {
    buildOnce();
    const script = `
      const id = require.resolve('@apollo/federation-internals');
      const original = require(id);
      const names = Object.keys(original);
      const before = Object.fromEntries(names.map((name) => [name, original[name]]));
      require(${JSON.stringify(fromRoot('dist', 'gateway', 'federation-internals.js'))});
      // what @apollo/gateway's resultShaping.js gets from its own require
      const seen = require(require.resolve('@apollo/federation-internals', { paths: [require.resolve('@apollo/gateway')] }));
      const getters = names.filter((name) => Object.getOwnPropertyDescriptor(seen, name).get);
      const differing = names.filter((name) => seen[name] !== before[name]);
      console.log(JSON.stringify({ names: names.length, getters: getters.length, differing, esModule: seen.__esModule === true }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['-e', script], { cwd: fromRoot(), encoding: 'utf8' })) as {
      names: number;
      getters: number;
      differing: string[];
      esModule: boolean;
    };
    expect(out.names).toBeGreaterThan(100);
    expect(out).toEqual({ names: out.names, getters: 0, differing: [], esModule: true });
  });
});
