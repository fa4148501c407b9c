// Controllers over a real API server in this process: what a controller test needs to set up
// objects, run controllers for a while, and wait for the outcome.
import { Registry } from 'prom-client';
import { KubeClient, type Clock, type Transport } from '@flotilla/client';
import { inProcessTransport, startTestApi, type TestApi } from '@flotilla/testing';
import type { Controller, ControllerLog } from '../src/controller';
import { runControllerSet } from '../src/manager/controller-set';

export const quietLog: ControllerLog = { info() {}, warn() {}, error() {} };

export interface Harness {
  api: TestApi;
  /** A client of the test itself (not fenced, not the controllers'). */
  client: KubeClient;
  /** Runs `controllers` until stop(); `wrap` may interpose on their transport. */
  run(controllers: Controller[], opts?: RunOptions): () => Promise<void>;
  stop(): Promise<void>;
}

export interface RunOptions {
  wrap?: (t: Transport) => Transport;
  flags?: Record<string, string>;
  log?: ControllerLog;
  /** The controllers' clock (real time by default). */
  clock?: Clock;
}

export async function startHarness(): Promise<Harness> {
  const api = await startTestApi();
  const runs: (() => Promise<void>)[] = [];
  const run = (controllers: Controller[], opts: RunOptions = {}) => {
    const ac = new AbortController();
    const base = inProcessTransport(api.server);
    const transport = opts.wrap ? opts.wrap(base) : base;
    const done = runControllerSet(
      controllers,
      {
        transport,
        component: 'kube-controller-manager',
        instance: 'test',
        log: opts.log ?? quietLog,
        clock: opts.clock,
        metrics: new Registry(),
        flags: new Map(Object.entries(opts.flags ?? {})),
      },
      ac.signal,
    );
    const stop = async () => {
      ac.abort();
      await done;
      transport.close();
    };
    runs.push(stop);
    return stop;
  };
  return {
    api,
    client: api.client,
    run,
    async stop() {
      for (const s of runs) await s();
      await api.stop();
    },
  };
}

/** Polls `probe` until it returns something other than undefined (bounded in time and tries). */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const maxTries = Math.ceil(timeoutMs / intervalMs) + 1;
  let last: unknown;
  for (let i = 0; i < maxTries && Date.now() <= deadline; i++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  throw new Error(`timed out waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
