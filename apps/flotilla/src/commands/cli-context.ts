/** Where the CLI itself lives, so it can find the programs built next to it. */
export interface CliContext {
  cliFile: string;
  cliDir: string;
}
