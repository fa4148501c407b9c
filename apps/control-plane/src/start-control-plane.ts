import { formatHostPort } from '@flotilla/process';
import { StartOptions, StartedProcess, startNestProcess } from '@flotilla/process/nest';
import { AppModule } from './app.module';
import { installApiBodyParser } from './apiserver/api-body-parser';
import { PeerWsAdapter } from './replication/peer-ws-adapter';
import { PEER_SERVER } from './replication/replication.tokens';
import type { ControlPlaneConfig } from './config/control-plane-config';

export async function startControlPlane(
  config: ControlPlaneConfig,
  options: StartOptions = {},
): Promise<StartedProcess> {
  const started = await startNestProcess(
    { node: config.name, component: 'control-plane', ...config },
    (logger, health) => AppModule.forRoot({ config, logger, health }),
    {
      ...options,
      // Kubernetes' API server reads request heads up to 1 MiB: long label selectors in the
      // query string, large bearer tokens.
      maxHeaderBytes: 1024 * 1024,
      // The Raft peer gateway listens on the peer port, bound by the replication module.
      configure: (app) => {
        app.useWebSocketAdapter(new PeerWsAdapter(app, app.get(PEER_SERVER)));
        installApiBodyParser(app);
      },
    },
  );
  started.logger.info('control plane started', {
    api: `${config.tlsCertFile ? 'https' : 'http'}://${formatHostPort(config.listenHost, started.port)}`,
    etcdPort: config.etcdPort,
    peerPort: config.peerPort,
    advertiseHost: config.advertiseHost,
    peers: config.peers.map((p) => `${p.name}=${formatHostPort(p.host, p.port)}`).join(','),
    dataDir: config.dataDir,
  });
  return started;
}
