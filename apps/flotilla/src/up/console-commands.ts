export type ConsoleCommand =
  | { kind: 'status' }
  | { kind: 'help' }
  | { kind: 'start' | 'stop' | 'restart'; member: string }
  | { kind: 'empty' }
  | { kind: 'invalid'; message: string };

/** One line typed on `flotilla up`'s stdin. */
export function parseConsoleCommand(line: string, members: readonly string[]): ConsoleCommand {
  const words = line
    .trim()
    .split(/\s+/)
    .filter((w) => w !== '');
  if (words.length === 0) return { kind: 'empty' };
  const [verb, ...rest] = words;
  switch (verb) {
    case 'status':
    case 'help':
      return rest.length === 0 ? { kind: verb } : invalid(`${verb} takes no argument`);
    case 'start':
    case 'stop':
    case 'restart': {
      if (rest.length !== 1)
        return invalid(`usage: ${verb} <member> (one of ${members.join(', ')})`);
      const member = rest[0];
      if (!members.includes(member)) {
        return invalid(`no member ${JSON.stringify(member)} (have ${members.join(', ')})`);
      }
      return { kind: verb, member };
    }
    default:
      return invalid(`unknown command ${JSON.stringify(verb)}; type help`);
  }
}

function invalid(message: string): ConsoleCommand {
  return { kind: 'invalid', message };
}
