// The session's framing against a scripted stand-in for `nft -i` (the netns tests run the real
// one): one line per transaction, the sentinel's error ends each answer, a refusal is an NftError
// with nft's words, a dead or silent nft loses the session and the applier goes back to `nft -f`.
import type { CommandRunner } from './command-runner';
import { NftApplier } from './nft-applier';
import { NftError } from './nft-error';
import { NftSession, NftSessionLost, type SessionProcess, sessionLine } from './nft-session';

/** Answers each input line the way nft -i does on stderr (nothing on success). */
class FakeNft implements SessionProcess {
  readonly lines: string[] = [];
  private stderrListener: (chunk: string) => void = () => undefined;
  private exitListener: (why: string) => void = () => undefined;
  private buffered = '';
  /** Lines containing this are refused. */
  refuse: string | undefined;
  /** Stops answering (a hung nft). */
  silent = false;
  killed = false;
  readonly stdin = {
    write: (text: string) => {
      this.buffered += text;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        this.lines.push(line);
        // Answers arrive later and in pieces, as from a pipe.
        if (!this.silent) setImmediate(() => this.answer(line));
      }
      return true;
    },
    end: () => undefined,
  };

  onStderr(l: (chunk: string) => void): void {
    this.stderrListener = l;
  }
  onExit(l: (why: string) => void): void {
    this.exitListener = l;
  }
  kill(): void {
    this.killed = true;
  }
  die(said: string): void {
    this.stderrListener(said);
    this.exitListener('nft -i exited (code 1)');
  }

  private answer(line: string): void {
    const error = (what: string, arg: string) => {
      const text = `Error: ${what}\n${line}\n${' '.repeat(line.indexOf(arg))}${'^'.repeat(arg.length)}\n`;
      const half = Math.floor(text.length / 2);
      this.stderrListener(text.slice(0, half));
      this.stderrListener(text.slice(half));
    };
    if (line.startsWith('list table ip flotilla-session-end-'))
      error('No such file or directory', line.split(' ').at(-1)!);
    else if (this.refuse && line.includes(this.refuse))
      error('Could not process rule: No such file or directory', this.refuse);
  }
}

describe('nft session', () => {
  it('writes a transaction as one line, each followed by the sentinel, in order', async () => {
    const nft = new FakeNft();
    const session = new NftSession(() => nft);
    await Promise.all([
      session.apply('add chain ip kube-proxy a\nadd rule ip kube-proxy a counter\n'),
      session.apply('flush chain ip kube-proxy a\n'),
    ]);
    expect(nft.lines).toEqual([
      'add chain ip kube-proxy a; add rule ip kube-proxy a counter',
      'list table ip flotilla-session-end-1',
      'flush chain ip kube-proxy a',
      'list table ip flotilla-session-end-2',
    ]);
    session.close();
    expect(nft.killed).toBe(true);
  });

  it("a refused transaction is an NftError with nft's words; the session goes on", async () => {
    const nft = new FakeNft();
    const session = new NftSession(() => nft);
    nft.refuse = 'nochain';
    const refused = session.apply('add chain ip kube-proxy b\nadd rule ip kube-proxy nochain x\n');
    await expect(refused).rejects.toThrow(NftError);
    await expect(refused).rejects.toThrow(/refused the transaction: Error: Could not process rule/);
    await expect(refused).rejects.not.toThrow(NftSessionLost);
    const err = (await refused.catch((e: unknown) => e)) as NftError;
    expect(err.stderr).toContain('add chain ip kube-proxy b; add rule ip kube-proxy nochain x');
    expect(err.stderr).not.toContain('flotilla-session-end');
    await expect(session.apply('flush chain ip kube-proxy a\n')).resolves.toBeUndefined();
    session.close();
  });

  it('a dead or silent nft loses the session; the applier uses nft -f from then on', async () => {
    const nft = new FakeNft();
    const oneShot: string[] = [];
    const runner: CommandRunner = {
      run: async (_cmd, args, input) => {
        oneShot.push(`${args.join(' ')}: ${input ?? ''}`);
        return { code: 0, stdout: '', stderr: '' };
      },
    };
    const applier = new NftApplier(runner, 'ip', 'nft', new NftSession(() => nft));
    const incremental = { incremental: true };
    await applier.apply('flush chain ip kube-proxy a\n', incremental);
    nft.silent = true;
    const lost = applier.apply('flush chain ip kube-proxy b\n', incremental);
    setImmediate(() => nft.die('Error: nf_tables module missing\n'));
    await expect(lost).rejects.toThrow(NftSessionLost);
    await expect(lost).rejects.toThrow(/exited \(code 1\): Error: nf_tables module missing/);
    await applier.apply('flush chain ip kube-proxy c\n', incremental);
    expect(oneShot).toEqual(['-f -: flush chain ip kube-proxy c\n']);

    const hung = new FakeNft();
    hung.silent = true;
    const session = new NftSession(() => hung, 50);
    await expect(session.apply('flush chain ip kube-proxy a\n')).rejects.toThrow(
      /did not answer within 50 ms/,
    );
    expect(hung.killed).toBe(true);
  });

  it('full syncs, whatever their size, and big incremental ones go to nft -f', async () => {
    const nft = new FakeNft();
    const oneShot: string[] = [];
    const runner: CommandRunner = {
      run: async (_cmd, args) => {
        oneShot.push(args.join(' '));
        return { code: 0, stdout: '', stderr: '' };
      },
    };
    const applier = new NftApplier(runner, 'ip', 'nft', new NftSession(() => nft));
    await applier.apply('add rule ip kube-proxy a counter\n'.repeat(3000), { incremental: true });
    await applier.apply('add table ip kube-proxy\n');
    expect(oneShot).toEqual(['-f -', '-f -']);
    expect(nft.lines).toEqual([]);
    await applier.apply('flush chain ip kube-proxy a\n', { incremental: true });
    expect(nft.lines).toEqual([
      'flush chain ip kube-proxy a',
      'list table ip flotilla-session-end-1',
    ]);
    applier.close();
  });

  it('joins commands, dropping empty lines', () => {
    expect(sessionLine('a\n\nb\n')).toBe('a; b');
  });
});
