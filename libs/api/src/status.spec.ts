import { findResource } from './catalog';
import { fieldErrors } from './field-errors';
import { ApiError, apiErrors, isApiError, statusSuccess } from './status';

const pods = findResource('', 'v1', 'pods')!;
const deployments = findResource('apps', 'v1', 'deployments')!;

describe('status bodies', () => {
  it('notFound for a core resource', () => {
    const err = apiErrors.notFound(pods, 'x');
    expect(err).toBeInstanceOf(ApiError);
    expect(isApiError(err)).toBe(true);
    expect(err.code).toBe(404);
    expect(err.message).toBe('pods "x" not found');
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" not found',
      reason: 'NotFound',
      details: { name: 'x', kind: 'pods' },
      code: 404,
    });
  });

  it('notFound for a grouped resource names the group', () => {
    expect(apiErrors.notFound(deployments, 'web').status).toMatchObject({
      message: 'deployments.apps "web" not found',
      details: { name: 'web', group: 'apps', kind: 'deployments' },
    });
  });

  it('alreadyExists', () => {
    const err = apiErrors.alreadyExists(pods, 'x');
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'pods "x" already exists',
      reason: 'AlreadyExists',
      details: { name: 'x', kind: 'pods' },
      code: 409,
    });
  });

  it('conflict defaults to the optimistic-concurrency wording', () => {
    const err = apiErrors.conflict(pods, 'x');
    expect(err.code).toBe(409);
    expect(err.status).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on pods "x": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'x', kind: 'pods' },
    });
    expect(apiErrors.conflict(pods, 'x', 'pod x is already assigned to node "n1"').message).toBe(
      'Operation cannot be fulfilled on pods "x": pod x is already assigned to node "n1"',
    );
  });

  it('invalid names the kind and lists causes', () => {
    const cause = fieldErrors.invalid(
      'metadata.name',
      'X',
      'a lowercase RFC 1123 subdomain must consist of ...',
    );
    const err = apiErrors.invalid(pods, 'X', [cause]);
    expect(err.code).toBe(422);
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message:
        'Pod "X" is invalid: metadata.name: Invalid value: "X": a lowercase RFC 1123 subdomain must consist of ...',
      reason: 'Invalid',
      details: {
        name: 'X',
        kind: 'Pod',
        causes: [
          {
            reason: 'FieldValueInvalid',
            message: 'Invalid value: "X": a lowercase RFC 1123 subdomain must consist of ...',
            field: 'metadata.name',
          },
        ],
      },
      code: 422,
    });
  });

  it('invalid with several causes brackets them', () => {
    const err = apiErrors.invalid(deployments, 'web', [
      fieldErrors.required('spec.selector'),
      fieldErrors.required('spec.template.spec.containers'),
    ]);
    expect(err.message).toBe(
      'Deployment.apps "web" is invalid: [spec.selector: Required value, spec.template.spec.containers: Required value]',
    );
    expect((err.status.details as Record<string, unknown>).group).toBe('apps');
  });

  it.each([
    ['badRequest', apiErrors.badRequest('bad'), 400, 'BadRequest', 'bad'],
    [
      'unsupportedMediaType',
      apiErrors.unsupportedMediaType('nope'),
      415,
      'UnsupportedMediaType',
      'nope',
    ],
    [
      'tooLarge',
      apiErrors.tooLarge('Request entity too large: limit is 3145728'),
      413,
      'RequestEntityTooLarge',
      'Request entity too large: limit is 3145728',
    ],
    [
      'gone',
      apiErrors.gone('too old resource version: 1 (5)'),
      410,
      'Expired',
      'too old resource version: 1 (5)',
    ],
    [
      'serviceUnavailable',
      apiErrors.serviceUnavailable('no leader'),
      503,
      'ServiceUnavailable',
      'no leader',
    ],
  ])('%s has no details', (_name, err, code, reason, message) => {
    expect(err.status).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      code,
    });
  });

  it('methodNotSupported, forbidden, timeout, internal', () => {
    expect(apiErrors.methodNotSupported(pods, 'deletecollection').status).toMatchObject({
      code: 405,
      reason: 'MethodNotAllowed',
      message: 'deletecollection is not supported on resources of kind "pods"',
      details: { kind: 'pods' },
    });
    expect(
      apiErrors.forbidden(
        pods,
        'x',
        'unable to create new content in namespace t because it is being terminated',
      ).status,
    ).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'pods "x" is forbidden: unable to create new content in namespace t because it is being terminated',
      details: { name: 'x', kind: 'pods' },
    });
    expect(apiErrors.forbidden(pods, '', 'no').message).toBe('pods is forbidden: no');
    expect(apiErrors.timeout('request did not complete within 60s').status).toMatchObject({
      code: 504,
      reason: 'Timeout',
      message: 'Timeout: request did not complete within 60s',
    });
    expect(apiErrors.internal('boom').status).toMatchObject({
      code: 500,
      reason: 'InternalError',
      message: 'Internal error occurred: boom',
      details: { causes: [{ message: 'boom' }] },
    });
  });

  it('statusSuccess', () => {
    expect(statusSuccess({ name: 'x', kind: 'pods', uid: 'u' })).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name: 'x', kind: 'pods', uid: 'u' },
    });
  });
});

describe('field errors', () => {
  it('word each type as Kubernetes does', () => {
    expect(fieldErrors.required('spec.containers').message).toBe('Required value');
    expect(fieldErrors.required('metadata.name', 'name or generateName is required').message).toBe(
      'Required value: name or generateName is required',
    );
    expect(
      fieldErrors.invalid('spec.replicas', -1, 'must be greater than or equal to 0').message,
    ).toBe('Invalid value: -1: must be greater than or equal to 0');
    expect(fieldErrors.forbidden('spec', 'pod updates may not change fields').message).toBe(
      'Forbidden: pod updates may not change fields',
    );
    expect(
      fieldErrors.notSupported('spec.restartPolicy', 'Sometimes', ['Always', 'OnFailure', 'Never']),
    ).toEqual({
      reason: 'FieldValueNotSupported',
      message: 'Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      field: 'spec.restartPolicy',
    });
    expect(fieldErrors.duplicate('spec.containers[1].name', 'a').message).toBe(
      'Duplicate value: "a"',
    );
  });
});
