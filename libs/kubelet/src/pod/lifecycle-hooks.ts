// postStart and preStop handlers: exec in the container (CRI ExecSync), an HTTP GET to the pod,
// or a sleep.
import type { Clock } from '../util/clock';
import type { ContainerRuntime } from '../runtime/runtime';
import { httpProbe, tcpProbe } from '../probes/probe-runner';
import type { Container, LifecycleHandler } from './types';

export interface HookTarget {
  container: Container;
  containerId: string;
  podIP: string;
}

/** Runs handler within timeoutSeconds; resolves with an error message, or undefined when it worked. */
export async function runHook(
  runtime: ContainerRuntime,
  clock: Clock,
  handler: LifecycleHandler,
  target: HookTarget,
  timeoutSeconds: number,
): Promise<string | undefined> {
  const seconds = Math.max(1, Math.ceil(timeoutSeconds));
  try {
    if (handler.exec) {
      const r = await runtime.execSync(target.containerId, handler.exec.command ?? [], seconds);
      if (r.exitCode === 0) return undefined;
      const out = Buffer.concat([r.stdout, r.stderr]).toString('utf8').trim();
      return `command '${(handler.exec.command ?? []).join(' ')}' exited with ${r.exitCode}: ${out}`;
    }
    if (handler.httpGet) {
      const outcome = await httpProbe(
        { httpGet: handler.httpGet, timeoutSeconds: seconds },
        target,
      );
      return outcome.ok ? undefined : outcome.output;
    }
    if (handler.tcpSocket) {
      const outcome = await tcpProbe(
        { tcpSocket: handler.tcpSocket, timeoutSeconds: seconds },
        target,
      );
      return outcome.ok ? undefined : outcome.output;
    }
    if (handler.sleep) {
      const ms = Math.min(handler.sleep.seconds, seconds) * 1000;
      await new Promise<void>((resolve) => clock.after(ms, resolve));
      return undefined;
    }
    return 'handler has no action';
  } catch (err) {
    return (err as Error).message;
  }
}
