import { Timeline } from './timeline';

describe('Timeline', () => {
  it('keeps events in order and prints each as it is added, dated after the start', () => {
    const printed: string[] = [];
    const timeline = new Timeline((line) => printed.push(line));
    const { note, emit, events } = timeline;
    note('fault', 'killed m1');
    emit({ atMs: 1234, kind: 'election', text: 'm2 leads' });
    expect(events.map((e) => e.kind)).toEqual(['fault', 'election']);
    expect(events[0].atMs).toBeGreaterThanOrEqual(0);
    expect(printed).toEqual([expect.stringMatching(/ms {2}killed m1$/), '   1234 ms  m2 leads']);
  });
});
