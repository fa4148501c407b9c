// Server-side apply and metadata.managedFields: field sets (FieldsV1), shapes, merge and ownership.
export * from './field-set';
export * from './shape';
export * from './typed';
export * from './managers';
export * from './field-manager';
export * from './apply-body';
