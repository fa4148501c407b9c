import 'reflect-metadata';
import { hostname } from 'node:os';
import { runMain } from '@flotilla/process';
import {
  NODE_AGENT_PROGRAM,
  nodeAgentUsage,
  parseNodeAgentConfig,
} from './config/node-agent-config';
import { startNodeAgent } from './start-node-agent';

runMain(NODE_AGENT_PROGRAM, async () => {
  const parsed = parseNodeAgentConfig(process.argv.slice(2), process.env, {
    cwd: process.cwd(),
    hostname: hostname(),
  });
  if (parsed.help) {
    process.stdout.write(nodeAgentUsage());
    return;
  }
  await startNodeAgent(parsed.config, { ownProcess: true });
});
