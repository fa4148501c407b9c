import { userAgent } from './user-agent';

describe('userAgent', () => {
  it('names the component and version as flotilla-<component>/v<version>', () => {
    expect(userAgent('scheduler', '1.2.3')).toMatch(
      /^flotilla-scheduler\/v1\.2\.3 \([a-z0-9]+\/[a-z0-9]+\) node\/v\d+/,
    );
    expect(userAgent('flotilla', 'v0.1.0')).toMatch(/^flotilla\/v0\.1\.0 /);
  });
});
