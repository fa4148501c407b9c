// apiextensions.k8s.io/v1 CustomResourceDefinition: the kind that adds kinds. The server checks and
// stores it here; the CRD controller of libs/apiserver decides its names and serves its resource.
import { validateCrd, validateCrdUpdate } from '../../crd/validate-crd';
import { childObject, setDefault } from '../../defaults';
import { isPlainObject, type JsonObject, type KubeObject } from '../../object';
import type { KindModule } from '../kind-module';
import { BY_TYPE, kindFields } from '../meta';
import { col, NAME } from '../printing';
import { resource } from '../resource';

export const APIEXTENSIONS = 'apiextensions.k8s.io';
/** Held until the CRD controller has deleted every object of the resource. */
export const CRD_CLEANUP_FINALIZER = 'customresourcecleanup.apiextensions.k8s.io';

function defaultCrd(o: KubeObject): void {
  const spec = childObject(o, 'spec');
  const names = childObject(spec, 'names');
  if (typeof names.kind === 'string') {
    setDefault(names, 'singular', names.kind.toLowerCase());
    setDefault(names, 'listKind', `${names.kind}List`);
  }
  const conversion = childObject(spec, 'conversion');
  setDefault(conversion, 'strategy', 'None');
}

/** The storage version's name, if exactly one version is marked. */
export function storageVersionOf(crd: KubeObject): string | undefined {
  const versions =
    isPlainObject(crd.spec) && Array.isArray(crd.spec.versions) ? crd.spec.versions : [];
  const stored = versions.filter((v) => isPlainObject(v) && v.storage === true) as JsonObject[];
  return stored.length === 1 && typeof stored[0].name === 'string' ? stored[0].name : undefined;
}

function addStoredVersion(o: KubeObject): void {
  const version = storageVersionOf(o);
  if (!version) return;
  const status = childObject(o, 'status');
  const stored = Array.isArray(status.storedVersions) ? (status.storedVersions as unknown[]) : [];
  if (!stored.includes(version)) status.storedVersions = [...stored, version];
}

export const customResourceDefinitionKind: KindModule = {
  resource: resource(APIEXTENSIONS, 'CustomResourceDefinition', 'customresourcedefinitions', {
    shortNames: ['crd', 'crds'],
    categories: ['api-extensions'],
    namespaced: false,
    subresources: ['status'],
  }),
  definitions: {
    'io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.CustomResourceDefinition': {
      description:
        'CustomResourceDefinition represents a resource that should be exposed on the API server. Its name MUST be in the format <.spec.name>.<.spec.group>.',
      fields: kindFields({ spec: 'any', status: 'any' }),
      gvk: { group: APIEXTENSIONS, version: 'v1', kind: 'CustomResourceDefinition' },
      statusLists: { conditions: BY_TYPE },
    },
  },
  tracksGeneration: true,
  defaults: defaultCrd,
  prepareForCreate(o) {
    o.status = {
      conditions: [],
      acceptedNames: { plural: '', kind: '' },
      storedVersions: [],
    };
    addStoredVersion(o);
    const finalizers = o.metadata.finalizers ?? [];
    if (!finalizers.includes(CRD_CLEANUP_FINALIZER))
      o.metadata.finalizers = [...finalizers, CRD_CLEANUP_FINALIZER];
  },
  prepareForUpdate(next) {
    addStoredVersion(next);
  },
  validate: validateCrd,
  validateUpdate: validateCrdUpdate,
  printer: {
    columns: [NAME, col('Created At', 'When the definition was created.', { type: 'date' })],
    cells: (o) => [o.metadata.name ?? '', o.metadata.creationTimestamp ?? ''],
  },
};
