// Starts the longest suites first. On a fresh clone (CI) Jest has no timing cache and orders
// suites by file size, so the CPU-bound driver simulation could start halfway through and run
// alone at the end, adding minutes to `npm test`; started first, it overlaps everything else.
// Later runs also use Jest's recorded durations for every other suite.
const Sequencer = require('@jest/test-sequencer').default;

const LONGEST_FIRST = [
  'test/sim/driver/driver-sim.spec.ts',
  'test/integration/workloads-cluster.spec.ts',
  'test/jepsen/jepsen-short.spec.ts',
  'test/integration/node-lifecycle-cluster.spec.ts',
  'libs/replicated-store/test/replicated-cluster.spec.ts',
];

function rank(path) {
  const i = LONGEST_FIRST.findIndex((suffix) => path.endsWith(suffix));
  return i === -1 ? LONGEST_FIRST.length : i;
}

class LongestFirstSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    // Array.prototype.sort is stable: suites outside the list keep Jest's own order.
    return [...ordered].sort((a, b) => rank(a.path) - rank(b.path));
  }
}

module.exports = LongestFirstSequencer;
