// Process plumbing shared by every entry point: flags + environment, value checks, the data
// directory, listen errors, the one-line failure rule. Booting a Nest app: '@flotilla/process/nest'.
export * from './config-error';
export * from './args';
export * from './values';
export * from './data-dir';
export * from './listen-error';
export * from './run-main';
export * from './common-options';
export * from './master-node-flags';
export * from './file-reload';
