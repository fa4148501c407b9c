import packageJson from '../../../package.json';

/** The version printed by --version and exported as flotilla_build_info{version}. */
export const FLOTILLA_VERSION: string = packageJson.version;
