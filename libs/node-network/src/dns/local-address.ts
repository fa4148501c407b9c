// The node serves cluster DNS itself, at the kube-dns Service's ClusterIP, much as NodeLocal
// DNSCache does: the address is local to the node (on lo, labelled as ours: the dummy interface
// NodeLocal DNSCache uses is not built into every kernel), and DNS packets to and from it skip
// connection tracking, so kube-proxy's rules (which would DNAT or reject them: the Service has no
// endpoints) never see them. Pods reach it through their gateway, the node.
import type { CommandRunner } from '@flotilla/kube-proxy';
import { parseIP } from '@flotilla/kube-proxy';

/** The address label (on lo) that marks the address as ours. */
export const DNS_LABEL = 'lo:flotilla-dns';
export const DNS_TABLE = 'flotilla-dns';

export function renderNotrackScript(ip: string): string {
  const parsed = parseIP(ip);
  if (!parsed) throw new Error(`DNS address ${JSON.stringify(ip)} is not an IP address`);
  const ipX = parsed.family === 'ipv4' ? 'ip' : 'ip6';
  const t = `${ipX} ${DNS_TABLE}`;
  const lines = [
    `add table ${t} { comment "cluster DNS on this node: no conntrack, so no Service NAT" ; }`,
    // Raw priority: before conntrack sees the packet.
    `add chain ${t} prerouting { type filter hook prerouting priority -300 ; }`,
    `add chain ${t} output { type filter hook output priority -300 ; }`,
    `flush chain ${t} prerouting`,
    `flush chain ${t} output`,
  ];
  for (const chain of ['prerouting', 'output']) {
    for (const proto of ['udp', 'tcp']) {
      lines.push(`add rule ${t} ${chain} ${ipX} daddr ${parsed.ip} ${proto} dport 53 notrack`);
      lines.push(`add rule ${t} ${chain} ${ipX} saddr ${parsed.ip} ${proto} sport 53 notrack`);
    }
  }
  return lines.join('\n') + '\n';
}

/** Makes `ip` local (replacing an address we put there before) and installs the notrack rules. */
export async function ensureLocalDnsAddress(runner: CommandRunner, ip: string): Promise<void> {
  const parsed = parseIP(ip);
  if (!parsed) throw new Error(`DNS address ${JSON.stringify(ip)} is not an IP address`);
  const run = async (cmd: string, args: string[], input?: string, okIf?: RegExp) => {
    const r = await runner.run(cmd, args, input);
    if (r.code !== 0 && !(okIf && okIf.test(r.stderr))) {
      throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr.trim()}`);
    }
  };
  if (parsed.family !== 'ipv4')
    throw new Error('the node serves cluster DNS on an IPv4 address only');
  await run('ip', ['addr', 'flush', 'dev', 'lo', 'label', DNS_LABEL]);
  await run('ip', ['addr', 'add', `${parsed.ip}/32`, 'dev', 'lo', 'label', DNS_LABEL]);
  await run('nft', ['-f', '-'], renderNotrackScript(parsed.ip));
}

export async function removeLocalDnsAddress(runner: CommandRunner): Promise<void> {
  await runner.run('ip', ['addr', 'flush', 'dev', 'lo', 'label', DNS_LABEL]);
  await runner.run('nft', ['delete', 'table', 'ip', DNS_TABLE]);
  await runner.run('nft', ['delete', 'table', 'ip6', DNS_TABLE]);
}
