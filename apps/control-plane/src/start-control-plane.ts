import { readFileSync } from 'node:fs';
import type { Server as TlsServer } from 'node:tls';
import { formatHostPort, watchFiles } from '@flotilla/process';
import type { ApiServer } from '@flotilla/apiserver';
import { installAuthGate } from './apiserver/auth-gate';
import { EtcdGrpcServer } from '@flotilla/etcd-api';
import { etcdTls } from './etcd/etcd.module';
import { API_SERVER } from './apiserver/apiserver.tokens';
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
        if (config.security?.mode === 'secure')
          installAuthGate(app, app.get<ApiServer>(API_SERVER));
      },
    },
  );
  const security = config.security;
  if (security?.mode === 'secure') {
    // Rotation without downtime: new connections get the new certificate, open ones keep theirs.
    const files = [security.tlsCertFile, security.tlsKeyFile, security.clientCaFile];
    const https = started.app.getHttpServer() as unknown as TlsServer;
    const etcd = started.app.get(EtcdGrpcServer);
    const stop = watchFiles(files, () => {
      try {
        const tls = etcdTls(config);
        if (tls) etcd.reloadTls(tls);
        https.setSecureContext({
          cert: readFileSync(security.tlsCertFile),
          key: readFileSync(security.tlsKeyFile),
          ca: readFileSync(security.clientCaFile),
        });
        started.logger.info('reloaded the API serving certificate', { file: security.tlsCertFile });
      } catch (err) {
        started.logger.warn('could not reload the API certificate; keeping the old one', {
          error: String(err),
        });
      }
    });
    started.app.getHttpServer().once('close', stop);
  }
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
