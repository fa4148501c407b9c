// Command lines for a three-member etcd 3.4 cluster on loopback, same timing as Flotilla: plain,
// or with TLS as a secure etcd runs (--client-cert-auth on the client port, peer TLS with peer
// certificates), from a CA made for the run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createCa, issueCertificate } from '@flotilla/pki';
import { useTls } from './client';
import { freePorts } from './ports';
import { MemberSpec } from './member-process';
import { TIMING } from './timing';

export const ETCD_BINARY = '/usr/bin/etcd';

export async function etcdMembers(dataRoot: string, tls = false): Promise<MemberSpec[]> {
  const names = ['e1', 'e2', 'e3'];
  const ports = await freePorts(names.length * 2);
  const tag = tls ? 'etcd-tls' : 'etcd';
  const scheme = tls ? 'https' : 'http';
  const clientUrl = (i: number): string => `${scheme}://127.0.0.1:${ports[i * 2]}`;
  const peerUrl = (i: number): string => `${scheme}://127.0.0.1:${ports[i * 2 + 1]}`;
  const tlsFlags: string[] = [];
  if (tls) {
    const dir = join(dataRoot, `${tag}-pki`);
    mkdirSync(dir, { recursive: true });
    const ca = await createCa({ commonName: 'bench-etcd-ca' });
    const member = await issueCertificate(ca, {
      commonName: 'etcd',
      hosts: ['127.0.0.1', 'localhost'],
      usage: 'peer',
    });
    const client = await issueCertificate(ca, { commonName: 'root', usage: 'client' });
    const file = (name: string, text: string) => {
      writeFileSync(join(dir, name), text, { mode: 0o600 });
      return join(dir, name);
    };
    const caFile = file('ca.crt', ca.certPem);
    const cert = file('member.crt', member.certPem);
    const key = file('member.key', member.keyPem);
    tlsFlags.push(
      ...['--cert-file', cert, '--key-file', key, '--trusted-ca-file', caFile],
      '--client-cert-auth',
      ...['--peer-cert-file', cert, '--peer-key-file', key, '--peer-trusted-ca-file', caFile],
      '--peer-client-cert-auth',
    );
    const creds = {
      ca: readFileSync(caFile),
      cert: Buffer.from(client.certPem),
      key: Buffer.from(client.keyPem),
    };
    for (let i = 0; i < names.length; i++) useTls(`127.0.0.1:${ports[i * 2]}`, creds);
  }
  const initialCluster = names.map((n, i) => `${n}=${peerUrl(i)}`).join(',');
  return names.map((name, i) => ({
    name,
    clientEndpoint: `127.0.0.1:${ports[i * 2]}`,
    command: ETCD_BINARY,
    args: [
      ...['--name', name, '--data-dir', join(dataRoot, `${tag}-${name}`)],
      ...tlsFlags,
      ...['--listen-client-urls', clientUrl(i), '--advertise-client-urls', clientUrl(i)],
      ...['--listen-peer-urls', peerUrl(i), '--initial-advertise-peer-urls', peerUrl(i)],
      ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'new'],
      ...['--initial-cluster-token', `bench-${process.pid}`],
      ...['--heartbeat-interval', String(TIMING.heartbeatMs)],
      ...['--election-timeout', String(TIMING.electionMs)],
      // 8 GiB: the benchmark must never hit the NOSPACE alarm.
      ...['--quota-backend-bytes', String(8 * 1024 ** 3)],
      ...['--log-level', 'warn', '--logger', 'zap'],
    ],
    logFile: join(dataRoot, `${tag}-${name}.log`),
    ipc: false,
  }));
}
