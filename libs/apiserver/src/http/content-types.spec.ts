import {
  ApiError,
  decodeKubernetesProtobuf,
  encodeKubernetesProtobuf,
  ProtoWriter,
} from '@flotilla/api';
import {
  acceptsOnlyProtobuf,
  decodeProtobufBody,
  encodeProtobufResponse,
  notAcceptableStatus,
} from './content-types';

const PB = 'application/vnd.kubernetes.protobuf';

function apiErrorOf(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

/** A kind served without a protobuf schema (as on Kubernetes, CRDs are JSON only here). */
const CRD_VERSION = 'apiextensions.k8s.io/v1';

describe('content types', () => {
  it.each([
    [PB, true],
    [`${PB}, application/json`, false], // what kubectl sends: JSON is fine
    [`application/json;q=0.5, ${PB}`, false],
    [`${PB}, */*`, false],
    [`${PB}, application/*`, false],
    [`${PB}, application/json;q=0`, true],
    [`${PB};as=Table;v=v1;g=meta.k8s.io`, false],
    ['application/json', false],
    ['', false],
    ['text/plain', false],
  ])('Accept %j asks for protobuf only: %s', (accept, expected) => {
    expect(acceptsOnlyProtobuf(accept)).toBe(expected);
  });

  it('decodes protobuf request bodies into the JSON object', () => {
    const body = encodeKubernetesProtobuf({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'b' },
    });
    expect(decodeProtobufBody(Buffer.from(body))).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c' },
      data: { a: 'b' },
    });
  });

  it('answers 400 for malformed protobuf and 415 for a kind or field it does not cover', () => {
    const malformed = apiErrorOf(() => decodeProtobufBody(Buffer.from('k8s\0\x0a\x05ab')));
    expect(malformed.code).toBe(400);
    expect(malformed.status).toMatchObject({ kind: 'Status', reason: 'BadRequest' });
    expect(malformed.message).toContain('the protobuf body of the request is malformed');
    const typeMeta = new ProtoWriter()
      .tag(1, 2)
      .string('apiextensions.k8s.io/v1')
      .tag(2, 2)
      .string('CustomResourceDefinition');
    const unknown = new ProtoWriter().tag(1, 2).bytes(typeMeta.finish());
    const job = Buffer.concat([Buffer.from('k8s\0'), unknown.finish()]);
    const err = apiErrorOf(() => decodeProtobufBody(job));
    expect(err.code).toBe(415);
    expect(err.status).toMatchObject({ reason: 'UnsupportedMediaType' });
    expect(err.message).toContain(
      'protobuf is not supported for apiextensions.k8s.io/v1, Kind=CustomResourceDefinition',
    );
    expect(err.message).toContain('send it as JSON');
  });

  it('encodes responses of covered kinds, and says 406 in protobuf for the rest', () => {
    const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' } };
    expect(decodeKubernetesProtobuf(encodeProtobufResponse(pod)!)).toEqual(pod);
    expect(
      encodeProtobufResponse({ apiVersion: CRD_VERSION, kind: 'CustomResourceDefinition' }),
    ).toBeUndefined();
    expect(encodeProtobufResponse({ kind: 'Table', apiVersion: 'meta.k8s.io/v1' })).toBeUndefined();
    expect(decodeKubernetesProtobuf(notAcceptableStatus())).toMatchObject({
      kind: 'Status',
      code: 406,
      reason: 'NotAcceptable',
    });
  });
});
