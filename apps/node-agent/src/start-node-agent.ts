import { formatHostPort } from '@flotilla/process';
import { StartOptions, StartedProcess, startNestProcess } from '@flotilla/process/nest';
import { AppModule } from './app.module';
import type { NodeAgentConfig } from './config/node-agent-config';
import { connectProxyToMasters, connectToMasters, type MastersClient } from './api/masters-client';

export async function startNodeAgent(
  config: NodeAgentConfig,
  options: StartOptions = {},
  client: MastersClient | undefined = connectToMasters(config),
  proxyClient: MastersClient | undefined = connectProxyToMasters(config),
): Promise<StartedProcess> {
  const started = await startNestProcess(
    { node: config.name, component: 'node-agent', ...config },
    (logger, health) => AppModule.forRoot({ config, logger, health, client, proxyClient }),
    options,
  );
  started.logger.info('node agent started', {
    api: `http://${formatHostPort(config.listenHost, started.port)}`,
    servers: config.kubeconfig ?? config.servers.join(','),
    dataDir: config.dataDir,
  });
  return started;
}
