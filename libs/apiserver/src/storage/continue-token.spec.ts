import { decodeContinue, encodeContinue } from './continue-token';

describe('continue tokens', () => {
  it('round-trip the revision and the next key', () => {
    expect(decodeContinue(encodeContinue({ revision: 42, startKey: 'ns/pod-7' }))).toEqual({
      revision: 42,
      startKey: 'ns/pod-7',
    });
  });

  it('reject garbage with 400', () => {
    expect(() => decodeContinue('not-a-token')).toThrow(expect.objectContaining({ code: 400 }));
    const escape = Buffer.from(
      JSON.stringify({ v: 'meta.k8s.io/v1', rv: 1, start: '../x' }),
    ).toString('base64url');
    expect(() => decodeContinue(escape)).toThrow(expect.objectContaining({ code: 400 }));
  });
});
