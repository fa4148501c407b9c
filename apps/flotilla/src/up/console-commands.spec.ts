import { parseConsoleCommand } from './console-commands';

const members = ['m1', 'm2', 'm3'];

describe('flotilla up console commands', () => {
  it.each([
    ['restart m2', { kind: 'restart', member: 'm2' }],
    ['  stop   m1 ', { kind: 'stop', member: 'm1' }],
    ['start m3', { kind: 'start', member: 'm3' }],
    ['status', { kind: 'status' }],
    ['help', { kind: 'help' }],
    ['', { kind: 'empty' }],
    ['restart m9', { kind: 'invalid', message: 'no member "m9" (have m1, m2, m3)' }],
    ['restart', { kind: 'invalid', message: 'usage: restart <member> (one of m1, m2, m3)' }],
    ['status now', { kind: 'invalid', message: 'status takes no argument' }],
    ['reboot', { kind: 'invalid', message: 'unknown command "reboot"; type help' }],
  ])('%j', (line, expected) => {
    expect(parseConsoleCommand(line, members)).toEqual(expected);
  });
});
