// CustomResourceDefinitions: the CRD kind's rules and the kinds a CRD serves.
export { customKindModules, validateCustomObject } from './custom-kind';
export { printerFromColumns, parseColumnPath } from './printer-columns';
export type { PrinterColumn } from './printer-columns';
export { applyDefaults as applySchemaDefaults, prune as pruneBySchema } from './schema-pruning';
export type { JsonSchema } from './schema-types';
export { validateValue as validateBySchema } from './schema-validation';
export { validateStructural } from './structural';
export { validateCrd, APPROVAL_ANNOTATION } from './validate-crd';
export {
  APIEXTENSIONS,
  CRD_CLEANUP_FINALIZER,
  customResourceDefinitionKind,
  storageVersionOf,
} from '../kinds/apiextensions/customresourcedefinition';
export { crdNamesStatus, isEstablished, sameStatus } from './crd-names';
export type { CrdCondition } from './crd-names';
