import { OptionSpec, formatUsage, readSettings } from './args';

const specs: OptionSpec[] = [
  { flag: 'port', env: 'X_PORT', valueName: 'PORT', description: 'the port', defaultText: '1' },
  { flag: 'verbose', short: 'v', boolean: true, description: 'talk more' },
];

describe('readSettings', () => {
  it('records where each value came from', () => {
    const settings = readSettings(specs, ['-v'], { X_PORT: '9' });
    expect(settings.get('port')).toEqual({ value: '9', source: 'X_PORT' });
    expect(settings.get('verbose')).toEqual({ value: 'true', source: '--verbose' });
  });

  it('keeps a value that looks like a negative number or contains =', () => {
    expect(readSettings(specs, ['--port', '-1'], {}).get('port')?.value).toBe('-1');
    expect(readSettings(specs, ['--port=a=b'], {}).get('port')?.value).toBe('a=b');
  });
});

describe('formatUsage', () => {
  it('lists each flag with its placeholder, environment variable and default', () => {
    const text = formatUsage('x [options]', 'Does x.', specs);
    expect(text).toContain('--port PORT');
    expect(text).toContain('the port (env X_PORT, default 1)');
    expect(text).toContain('-v, --verbose');
  });
});
