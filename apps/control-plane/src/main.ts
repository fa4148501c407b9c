import 'reflect-metadata';
import { hostname } from 'node:os';
import { runMain } from '@flotilla/process';
import {
  CONTROL_PLANE_PROGRAM,
  controlPlaneUsage,
  parseControlPlaneConfig,
} from './config/control-plane-config';
import { startControlPlane } from './start-control-plane';

runMain(CONTROL_PLANE_PROGRAM, async () => {
  const parsed = parseControlPlaneConfig(process.argv.slice(2), process.env, {
    cwd: process.cwd(),
    hostname: hostname(),
  });
  if (parsed.help) {
    process.stdout.write(controlPlaneUsage());
    return;
  }
  await startControlPlane(parsed.config, { ownProcess: true });
});
