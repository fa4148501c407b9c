/** nft refused a command or could not run; `stderr` is what it said. */
export class NftError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'NftError';
  }
}
