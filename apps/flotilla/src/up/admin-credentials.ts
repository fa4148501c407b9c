import { readFileSync } from 'node:fs';
import { pkiPaths } from '@flotilla/pki';
import type { KubeconfigTls } from './kubeconfig';

/** The admin client pair and the CA of a PKI directory, to inline into a kubeconfig. */
export function adminKubeconfigTls(pkiDir: string): KubeconfigTls {
  const p = pkiPaths(pkiDir);
  const b64 = (file: string) => readFileSync(file).toString('base64');
  return {
    caData: b64(p.caCert),
    clientCertData: b64(p.adminCert),
    clientKeyData: b64(p.adminKey),
  };
}
