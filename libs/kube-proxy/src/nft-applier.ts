// The thin edge to the kernel: `nft -f -` with a whole transaction (the kernel applies all of it or
// none), listing what our table holds, and removing it.
import type { CommandRunner } from './command-runner';
import { NftError } from './nft-error';
import { type NftSession, NftSessionLost } from './nft-session';
import { NftFamily, TABLE } from './ruleset';
import type { KernelTableListing } from './transaction';

export { NftError } from './nft-error';

export interface ApplyOptions {
  /** An incremental sync's transaction (small, usually): it may go through a session. */
  incremental?: boolean;
}

export interface TableApplier {
  apply(script: string, options?: ApplyOptions): Promise<void>;
  /** Ends what the applier keeps running (an nft session). */
  close?(): void;
  /** What the table holds; undefined when there is no table. */
  list(): Promise<KernelTableListing | undefined>;
  /** Removes the table; false when there was none. */
  deleteTable(): Promise<boolean>;
}

/** Incremental transactions up to this size go through the session; full syncs and bigger ones
 *  to `nft -f -`. */
export const SESSION_MAX_BYTES = 64 * 1024;

export class NftApplier implements TableApplier {
  /** Set when the session failed: `nft -f` from then on (slower, never stuck). */
  private sessionLost = false;

  constructor(
    private readonly runner: CommandRunner,
    private readonly family: NftFamily,
    private readonly nft = 'nft',
    /** A long-lived `nft -i` for small transactions (see nft-session.ts). */
    private readonly session?: NftSession,
  ) {}

  async apply(script: string, options: ApplyOptions = {}): Promise<void> {
    if (script === '') return;
    const viaSession = options.incremental === true && script.length <= SESSION_MAX_BYTES;
    if (this.session && !this.sessionLost && viaSession) {
      try {
        return await this.session.apply(script);
      } catch (e) {
        // Whether the kernel took the transaction is unknown: fail this sync (the retry is a
        // full sync, which repairs either way) and leave the session behind.
        if (e instanceof NftSessionLost) {
          this.sessionLost = true;
          this.session.close();
        }
        throw e;
      }
    }
    const result = await this.runner.run(this.nft, ['-f', '-'], script);
    if (result.code !== 0) {
      throw new NftError(
        `nft -f failed (exit ${result.code}): ${firstLines(result.stderr)}`,
        result.stderr,
      );
    }
  }

  /** Small transactions still go through the session (false without one, or once it failed). */
  get usingSession(): boolean {
    return this.session !== undefined && !this.sessionLost;
  }

  close(): void {
    this.session?.close();
  }

  async list(): Promise<KernelTableListing | undefined> {
    const tables = await this.runner.run(this.nft, ['list', 'tables', this.family]);
    if (tables.code !== 0)
      throw new NftError(`nft list tables failed: ${firstLines(tables.stderr)}`, tables.stderr);
    if (!tables.stdout.split('\n').some((line) => line.trim() === `table ${this.family} ${TABLE}`))
      return undefined;
    const chains = await this.listJson(['list', 'chains', this.family]);
    const sets = await this.listJson(['list', 'sets', this.family]);
    const listing: KernelTableListing = { chains: [], sets: new Map() };
    for (const item of chains) {
      const c = item.chain as { table?: string; name?: string } | undefined;
      if (c?.table === TABLE && c.name) listing.chains.push(c.name);
    }
    for (const item of sets) {
      const s = item.set as { table?: string; name?: string; timeout?: number } | undefined;
      if (s?.table === TABLE && s.name) listing.sets.set(s.name, s.timeout);
    }
    return listing;
  }

  async deleteTable(): Promise<boolean> {
    const result = await this.runner.run(this.nft, ['delete', 'table', this.family, TABLE]);
    if (result.code === 0) return true;
    if (/No such file or directory/.test(result.stderr)) return false;
    throw new NftError(`nft delete table failed: ${firstLines(result.stderr)}`, result.stderr);
  }

  private async listJson(args: string[]): Promise<Record<string, unknown>[]> {
    const result = await this.runner.run(this.nft, ['-j', ...args]);
    if (result.code !== 0)
      throw new NftError(
        `nft ${args.join(' ')} failed: ${firstLines(result.stderr)}`,
        result.stderr,
      );
    const parsed = JSON.parse(result.stdout) as { nftables?: Record<string, unknown>[] };
    return parsed.nftables ?? [];
  }
}

function firstLines(text: string, max = 6): string {
  const lines = text.trim().split('\n');
  return (
    lines.slice(0, max).join(' | ') +
    (lines.length > max ? ` | (${lines.length - max} more lines)` : '')
  );
}
