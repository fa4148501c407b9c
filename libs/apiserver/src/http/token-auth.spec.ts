import { TokenAuthenticator, unauthorizedStatus } from './token-auth';

describe('TokenAuthenticator (--token-auth-file)', () => {
  const auth = TokenAuthenticator.parse(
    '# admins\ns3cret,admin,1,"system:masters,devs"\nviewer-token,viewer,2\n',
  );

  it('accepts a known bearer token and names its user and groups', () => {
    expect(auth.authenticate({ authorization: 'Bearer s3cret' })).toEqual({
      name: 'admin',
      uid: '1',
      groups: ['system:masters', 'devs'],
    });
    expect(auth.authenticate({ authorization: 'bearer viewer-token' })?.name).toBe('viewer');
  });

  it('refuses missing, unknown and malformed credentials', () => {
    expect(auth.authenticate({})).toBeUndefined();
    expect(auth.authenticate({ authorization: 'Bearer nope' })).toBeUndefined();
    expect(auth.authenticate({ authorization: 'Basic s3cret' })).toBeUndefined();
  });

  it('reads a token from the WebSocket bearer subprotocol browsers use', () => {
    const proto = `base64url.bearer.authorization.k8s.io.${Buffer.from('s3cret').toString('base64url')}`;
    expect(
      auth.authenticate({ 'sec-websocket-protocol': `base64.binary.k8s.io, ${proto}` })?.name,
    ).toBe('admin');
  });

  it('rejects a file it cannot understand', () => {
    expect(() => TokenAuthenticator.parse('just-a-token\n', 'tokens.csv')).toThrow(
      'tokens.csv: line 1 is not token,user,uid[,"groups"]',
    );
    expect(() => TokenAuthenticator.parse('\n# nothing\n')).toThrow('no tokens');
  });

  it('answers with the Status Kubernetes uses', () => {
    expect(unauthorizedStatus()).toMatchObject({
      kind: 'Status',
      reason: 'Unauthorized',
      code: 401,
    });
  });
});
