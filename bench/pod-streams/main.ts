/**
 * kubectl exec round trip through the API server: the real kubectl against an API server on
 * loopback, a kubelet server over the fake runtime, and the stand-in streaming server that speaks
 * SPDY/3.1 (test support), so what is timed is kubectl's whole path: discovery, the pod GET, the
 * upgrade(s) and the streams. Modes: kubectl's default (WebSocket v5 first) and SPDY only
 * (KUBECTL_REMOTE_COMMAND_WEBSOCKETS=false). Printed, not asserted.
 *
 *   npx tsx bench/pod-streams/main.ts [--runs 20]
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findResource, type KubeObject } from '@flotilla/api';
import { KubeletServer, type Pod } from '@flotilla/kubelet';
import { HttpTestServer, startTestApi } from '@flotilla/testing';
import { StandInStreamingServer } from '../../libs/apiserver/src/proxy/spdy/testing/stand-in-streaming-server';
import { FakeNode } from '../../libs/kubelet/src/testing/fake-node';
import { writeKubeconfig } from '../../test/integration/support/kubeconfig-file';

const run = promisify(execFile);
const quiet = { debug() {}, info() {}, warn() {}, error() {} };

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function main(): Promise<void> {
  const runs = arg('runs', 20);
  const dir = mkdtempSync(join(tmpdir(), 'bench-pod-streams-'));
  const streaming = new StandInStreamingServer();
  const streamingPort = await streaming.start();
  const api = await startTestApi();
  const http = await HttpTestServer.start(api.server);
  const node = new FakeNode();
  const flags = (r: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }) =>
    (['stdin', 'stdout', 'stderr', 'tty'] as const).map((f) => `${f}=${r[f]}`).join('&');
  node.runtime.execUrl = async (r) =>
    `http://127.0.0.1:${streamingPort}/exec?${r.cmd!.map((c) => `cmd=${encodeURIComponent(c)}`).join('&')}&${flags(r)}`;
  await node.start();
  const kubelet = new KubeletServer({
    host: '127.0.0.1',
    port: 0,
    pods: () => node.kubelet.pods(),
    runtime: node.runtime,
    layout: { podLogRoot: join(node.rootDir, 'logs') },
    logger: quiet,
  });
  const kubeletPort = await kubelet.start();
  try {
    await api.client.resource(findResource('', 'v1', 'nodes')!).create({
      apiVersion: 'v1',
      kind: 'Node',
      metadata: { name: 'w1' },
      status: {
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubeletPort } },
      },
    });
    const pod = (await api.client.resource(findResource('', 'v1', 'pods')!, 'default').create({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web' },
      spec: { nodeName: 'w1', containers: [{ name: 'app', image: 'flotilla/demo-web' }] },
    } as KubeObject)) as unknown as Pod;
    node.kubelet.setPods([pod]);
    await node.advance(0);
    const kubeconfig = writeKubeconfig(join(dir, 'kubeconfig'), http.url);
    const modes: [string, NodeJS.ProcessEnv][] = [
      ['kubectl default (WebSocket first)', {}],
      ['SPDY only', { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' }],
    ];
    console.log(`kubectl exec web -- echo hi, ${runs} runs per mode (after 2 warm-up runs)`);
    for (const [label, env] of modes) {
      const exec = () =>
        run('kubectl', ['exec', 'web', '--', 'echo', 'hi'], {
          env: { ...process.env, KUBECONFIG: kubeconfig, ...env },
        });
      await exec();
      await exec();
      // Absent before the API server logged its pod streams (the "before" run of main).
      const log = (http as { podStreams?: Record<string, unknown>[] }).podStreams;
      const logged = log?.length ?? 0;
      const times: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        const { stdout } = await exec();
        times.push(performance.now() - t0);
        if (stdout !== 'hi\n') throw new Error(`unexpected output ${JSON.stringify(stdout)}`);
      }
      const sorted = [...times].sort((a, b) => a - b);
      const seen = log?.slice(logged) ?? [];
      const via = log
        ? `${(seen.length / runs).toFixed(1)} upgrade(s) per exec: ${[...new Set(seen.map((s) => `${String(s.via)} ${String(s.upgrade)}`))].join(', ')}`
        : 'upgrades not logged';
      console.log(
        `${label.padEnd(34)} p50 ${percentile(sorted, 50).toFixed(1)} ms  p90 ${percentile(sorted, 90).toFixed(1)} ms  ` +
          `min ${sorted[0].toFixed(1)} ms  (${via})`,
      );
    }
  } finally {
    await kubelet.close();
    node.cleanup();
    await http.close();
    await api.stop();
    await streaming.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((err) => {
  console.error(err);
  process.exit(1);
});
