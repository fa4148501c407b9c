export * from './image-archive';
export * from './registry';
export * from './worker-images';
export * from './oci-builder';
