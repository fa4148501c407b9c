import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { JsonLogger } from '@flotilla/observability';
import { assertCanListen, explainListenError } from '@flotilla/process';
import { PeerTransport, RaftNode } from '@flotilla/raft-node';
import { LeaseKeeper, ReplicatedStore, StoreMachine } from '@flotilla/replicated-store';
import { MvccStore } from '@flotilla/store';
import type { ConfState } from '@flotilla/raft';
import type { ControlPlaneConfig } from '../config/control-plane-config';
import { MemberDirectory } from './member-directory';
import { refuseUntilServed } from './peer-ws-adapter';
import {
  createPeerHttpsServer,
  peerNamesOf,
  peerTlsFiles,
  readPeerTls,
  recordPeerNames,
} from './peer-tls';
import { RaftMetrics } from './raft.metrics';
import { ReadBarrier } from './read-barrier';

export interface Replication {
  store: MvccStore;
  node: RaftNode;
  transport: PeerTransport;
  peerServer: WebSocketServer;
  leases: LeaseKeeper;
  replicated: ReplicatedStore;
  members: MemberDirectory;
  /** Every linearizable read of this master waits here (and /readyz checks it). */
  reads: ReadBarrier;
}

function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '[::]';
}

/** The longest pause between two dials of a peer that does not answer. */
const PEER_REDIAL_MAX_MS = 500;

/** The longest a linearizable read waits for its barrier: the driver's proposal timeout. */
const READ_BARRIER_TIMEOUT_MS = 7000;

/** Binds the peer port first, so a busy port fails start-up with one clear line. */
export async function listenPeerServer(config: ControlPlaneConfig): Promise<WebSocketServer> {
  const host = config.peerHost ?? config.listenHost;
  const tls = peerTlsFiles(config);
  const https = tls ? createPeerHttpsServer(tls) : undefined;
  const server = https
    ? new WebSocketServer({ server: https, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 })
    : new WebSocketServer({
        host,
        port: config.peerPort,
        perMessageDeflate: false,
        maxPayload: 64 * 1024 * 1024,
      });
  if (https) {
    recordPeerNames(server);
    server.once('close', () => https.close());
  }
  try {
    await new Promise<void>((resolve, reject) => {
      if (https) {
        https.once('listening', resolve);
        https.once('error', reject);
        https.listen(config.peerPort, host);
      } else {
        server.once('listening', resolve);
        server.once('error', reject);
      }
    });
  } catch (err) {
    server.close();
    https?.close();
    throw (
      explainListenError(err, {
        host,
        port: config.peerPort,
        hostSource: config.peerHost ? '--peer-host' : '--listen-host',
        portSource: '--peer-port',
      }) ?? err
    );
  }
  server.on('error', () => undefined);
  refuseUntilServed(server);
  return server;
}

/**
 * Opens a master's replicated core: the MVCC store, the Raft driver over the durable log, the
 * peer transport and the leader's lease keeping. Nothing runs until start.
 */
export async function openReplication(
  config: ControlPlaneConfig,
  logger: JsonLogger,
  metrics: RaftMetrics,
): Promise<Replication> {
  const members = new MemberDirectory(config);
  // The etcd API is bound later by its module; learn now, with a clear line, if it cannot be.
  await assertCanListen({
    host: config.listenHost,
    port: config.etcdPort,
    hostSource: '--listen-host',
    portSource: '--etcd-port',
  });
  const peerServer = await listenPeerServer(config);
  const store = await MvccStore.open(join(config.dataDir, 'store'));
  const raftLog = logger.child('raft');
  const node = await RaftNode.open(
    {
      id: config.name,
      // A member joining an existing cluster starts with no configuration and learns it.
      initialMembers:
        config.initialClusterState === 'existing' ? [] : config.peers.map((p) => p.name),
      dataDir: join(config.dataDir, 'raft'),
      tickMs: config.tickMs,
      electionTicks: config.electionTicks,
      heartbeatTicks: 1,
      snapshotEvery: config.snapshotEvery,
      hooks: metrics.hooks(),
      log: (level, msg, fields) => raftLog[level](msg, fields),
    },
    new StoreMachine(store),
  );
  // The transport answers the leader's lease calls; the keeper needs the transport to make them.
  const late: { leases?: LeaseKeeper } = {};
  const peerTls = peerTlsFiles(config);
  const transport = new PeerTransport({
    id: config.name,
    clusterToken: config.clusterToken,
    ...(peerTls ? { tls: () => readPeerTls(peerTls), peerNames: peerNamesOf } : {}),
    // A peer that went away (killed, restarted) is dialed again within half a second: a refused
    // connection costs nothing, and the member that comes back waits on this dial for its leader.
    reconnectMaxMs: PEER_REDIAL_MAX_MS,
    // Dials leave from the peer address too, so a rule on addresses tells this member's traffic
    // from its neighbours' on a shared machine.
    ...(config.peerHost && !isWildcardHost(config.peerHost)
      ? { localAddress: config.peerHost }
      : {}),
    peers: new Map(members.names().map((n) => [n, members.wsUrl(n)])),
    onMessage: (m) => node.step(m),
    onPeerDown: (id) => node.peerDown(id),
    onRpc: (_from, method, body) => late.leases!.serve(method, body),
    localMeta: { clientUrls: members.self.clientUrls },
    onPeerMeta: (from, meta) => {
      const urls = (meta as { clientUrls?: unknown })?.clientUrls;
      if (Array.isArray(urls)) members.setClientUrls(from, urls.map(String));
    },
    log: (level, msg, fields) => raftLog[level](msg, fields),
  });
  // Members added or removed at run time: dial the new ones, drop the removed ones.
  const followConf = (conf: ConfState) => {
    const { added, removed } = members.sync(conf);
    for (const m of added) transport.addPeer(m.name, members.wsUrl(m.name));
    for (const name of removed) transport.removePeer(name);
  };
  followConf(node.members());
  node.on('conf', followConf);
  const leases = new LeaseKeeper(node, store, transport);
  late.leases = leases;
  const reads = new ReadBarrier(node, {
    timeoutMs: READ_BARRIER_TIMEOUT_MS,
    observer: metrics.readBarrierObserver(),
  });
  const replicated = new ReplicatedStore(node, store, leases, () => reads.wait());
  metrics.bind(node, transport, store);
  return { store, node, transport, peerServer, leases, replicated, members, reads };
}
