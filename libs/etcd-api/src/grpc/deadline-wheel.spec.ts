// The deadline wheel on a clock the test moves: items end once their deadline's slot has
// passed, never before their deadline, and not at all once removed.
import { DeadlineWheel, Expiring } from './deadline-wheel';

describe('DeadlineWheel', () => {
  let now = 0;
  const wheel = new DeadlineWheel(25, () => now);
  const item = (name: string, ended: string[]): Expiring => ({
    expire: () => void ended.push(name),
    wheelPrev: undefined,
    wheelNext: undefined,
    wheelSlot: undefined,
  });

  afterEach(() => {
    now = Number.MAX_VALUE;
    wheel.sweep(); // empties the wheel and stops its timer
  });

  it('ends an item once its deadline has passed, not before', () => {
    now = 1000;
    const ended: string[] = [];
    wheel.add(item('a', ended), 1100);
    wheel.add(item('b', ended), 1010);
    now = 1099;
    wheel.sweep();
    expect(ended).toEqual(['b']);
    now = 1100;
    wheel.sweep();
    expect(ended).toEqual(['b', 'a']);
    expect(wheel.waiting).toBe(0);
  });

  it('forgets an item removed before its deadline', () => {
    now = 0;
    const ended: string[] = [];
    const a = item('a', ended);
    wheel.add(a, 50);
    wheel.add(item('b', ended), 50);
    wheel.remove(a);
    wheel.remove(a); // twice is harmless
    now = 100;
    wheel.sweep();
    expect(ended).toEqual(['b']);
  });

  it('takes deadlines far beyond what a Node timer could wait', () => {
    now = 0;
    const ended: string[] = [];
    wheel.add(item('later', ended), 99_999_999 * 3_600_000);
    wheel.sweep();
    expect(ended).toEqual([]);
    expect(wheel.waiting).toBe(1);
  });
});
