import 'reflect-metadata';
import { hostname } from 'node:os';
import { processRunner } from '@flotilla/kube-proxy';
import { cleanupNodeNetwork } from '@flotilla/node-network';
import { runMain } from '@flotilla/process';
import {
  NODE_AGENT_PROGRAM,
  nodeAgentUsage,
  parseNodeAgentConfig,
} from './config/node-agent-config';
import {
  CONTAINERD_CONFIG_COMMAND,
  containerdConfigCommand,
  containerdConfigUsage,
} from './config/containerd-config-command';
import { startNodeAgent } from './start-node-agent';

runMain(NODE_AGENT_PROGRAM, async () => {
  if (process.argv[2] === CONTAINERD_CONFIG_COMMAND) {
    const toml = containerdConfigCommand(process.argv.slice(3), process.env);
    process.stdout.write(toml === 'help' ? containerdConfigUsage() : toml);
    return;
  }
  const parsed = parseNodeAgentConfig(process.argv.slice(2), process.env, {
    cwd: process.cwd(),
    hostname: hostname(),
  });
  if (parsed.help) {
    process.stdout.write(nodeAgentUsage());
    return;
  }
  if (parsed.config.network?.cleanup) {
    const removed = await cleanupNodeNetwork(processRunner());
    process.stdout.write(
      removed.length ? `removed: ${removed.join(', ')}\n` : 'nothing to remove\n',
    );
    return;
  }
  await startNodeAgent(parsed.config, { ownProcess: true });
});
