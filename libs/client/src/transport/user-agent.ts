// The User-Agent every request carries: `flotilla-<component>/<version> (<os>/<arch>) node/<v>`.
// The API server names a write's field manager after it (up to the first "/"), as Kubernetes
// does with client-go's `<binary>/<version>`.
import packageJson from '../../../../package.json';

export const CLIENT_VERSION: string = packageJson.version;

export function userAgent(component: string, version: string = CLIENT_VERSION): string {
  const name = component.startsWith('flotilla') ? component : `flotilla-${component}`;
  return `${name}/v${version.replace(/^v/, '')} (${process.platform}/${process.arch}) node/${process.version}`;
}
