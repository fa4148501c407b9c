import { JsonLogger, memorySink } from './json-logger';
import { NestLoggerAdapter } from './nest-logger-adapter';

const clock = () => new Date('2030-01-02T03:04:05.006Z');

function logger(level: 'debug' | 'info' = 'info') {
  const sink = memorySink();
  return { sink, log: new JsonLogger({ node: 'm1', component: 'raft', level, sink, clock }) };
}

describe('JsonLogger', () => {
  it('writes one JSON object per line with the fixed keys first', () => {
    const { sink, log } = logger();
    log.info('became leader', { term: 7 });
    expect(sink.lines).toEqual([
      '{"time":"2030-01-02T03:04:05.006Z","level":"info","node":"m1","component":"raft","msg":"became leader","term":7}',
    ]);
  });

  it('drops lines below its level', () => {
    const { sink, log } = logger('info');
    log.debug('noise');
    log.warn('kept');
    expect(sink.lines.map((l) => JSON.parse(l).msg)).toEqual(['kept']);
  });

  it('does not let fields overwrite the fixed keys, and survives odd values', () => {
    const { sink, log } = logger();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.error('x', { node: 'evil', big: 10n, err: new Error('bad') });
    log.error('y', { circular });
    const [first, second] = sink.lines.map((l) => JSON.parse(l));
    expect(first).toMatchObject({
      node: 'm1',
      'field.node': 'evil',
      big: '10',
      err: { name: 'Error', message: 'bad' },
    });
    expect(second).toMatchObject({ msg: 'y', fieldsError: 'unserialisable' });
  });

  it('makes children for other components with the same node and sink', () => {
    const { sink, log } = logger();
    log.child('store').info('applied');
    expect(JSON.parse(sink.lines[0])).toMatchObject({ node: 'm1', component: 'store' });
  });
});

describe('NestLoggerAdapter', () => {
  it("turns Nest's (message, context) and (message, stack, context) calls into JSON lines", () => {
    const { sink, log } = logger('debug');
    const nest = new NestLoggerAdapter(log);
    nest.log('Nest application successfully started', 'NestApplication');
    nest.error('listen failed', 'Error: at x', 'NestApplication');
    nest.log('Mapped {/healthz, GET} route', 'RouterExplorer');
    const lines = sink.lines.map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({
      level: 'info',
      node: 'm1',
      component: 'nest',
      context: 'NestApplication',
      msg: 'Nest application successfully started',
    });
    expect(lines[1]).toMatchObject({ level: 'error', stack: 'Error: at x', msg: 'listen failed' });
    // Start-up chatter is demoted so three members' logs stay readable.
    expect(lines[2]).toMatchObject({ level: 'debug', context: 'RouterExplorer' });
  });
});
