/** A kubeconfig that cannot be used; the message names the file (and the entry) at fault. */
export class KubeconfigError extends Error {
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `kubeconfig ${file}: ${message}` : `kubeconfig: ${message}`);
    this.name = 'KubeconfigError';
  }
}
