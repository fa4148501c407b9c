/**
 * Pod start latency through CRI on real containerd: N pods spread over W workers (network
 * namespaces with a containerd each), all made desired at once, timed from that moment to the
 * status the kubelet computes saying Running and Ready; the image is pulled beforehand, as the
 * Kubernetes SLO assumes. Then the kubelets' cost: CPU per pod started, and CPU and memory per
 * running pod while idle. Root only. Printed, not asserted.
 *
 *   sudo npx tsx bench/pods/main.ts [--pods 30] [--workers 2] [--idle-seconds 10]
 */
import { promises as fs } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kubelet } from '../../libs/kubelet/src/kubelet';
import { WorkerLab } from '../../libs/kubelet/src/host/lab';
import { cgroupfsCleaner } from '../../libs/kubelet/src/host/cgroups';
import { MemoryObjectSource } from '../../libs/kubelet/src/pod/object-source';
import type { Pod, PodStatus } from '../../libs/kubelet/src/pod/types';
import { CriRuntime } from '../../libs/kubelet/src/runtime/cri/cri-runtime';

function arg(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function pod(name: string, worker: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'bench', uid: `${name}-${worker}-${process.pid}` },
    spec: {
      nodeName: worker,
      terminationGracePeriodSeconds: 1,
      containers: [
        { name: 'web', image: 'flotilla/demo-web:latest', imagePullPolicy: 'IfNotPresent' },
      ],
    },
  };
}

function ready(s: PodStatus): boolean {
  return (
    s.phase === 'Running' && s.conditions.some((c) => c.type === 'Ready' && c.status === 'True')
  );
}

async function main(): Promise<void> {
  const pods = arg('pods', 30);
  const workers = arg('workers', 2);
  const idleSeconds = arg('idle-seconds', 10);
  const n = process.pid % 9000;
  const lab = await WorkerLab.create({
    id: `flb${n}`,
    fabricOctet3: 1 + (process.pid % 250),
    workers,
    dir: await fs.mkdtemp(join(tmpdir(), `flb${n}-`)),
    imageCacheDir: join(tmpdir(), 'flotilla-image-cache'),
    agentCommand: [],
  });
  const kubelets: Kubelet[] = [];
  const runtimes: CriRuntime[] = [];
  try {
    const readyAt = new Map<string, number>();
    const desiredAt = new Map<string, number>();
    for (const host of lab.hosts) {
      // No masters here, so no node agent writes the pod network: the lab's own range.
      await host.writeStaticCni();
      const runtime = new CriRuntime({ endpoint: host.socket });
      runtimes.push(runtime);
      await runtime.pullImage('flotilla/demo-web:latest');
      const k = new Kubelet({
        nodeName: host.spec.name,
        runtime,
        objects: new MemoryObjectSource(),
        hostIPs: [host.address],
        layout: {
          cgroupRoot: host.cgroupRoot,
          podLogRoot: host.podLogDir,
          clusterDns: [],
          clusterDomain: 'cluster.local',
          memoryCapacityBytes: 8 * 2 ** 30,
        },
        node: { cpuMilli: 2000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 2 ** 34 },
        rootDir: host.kubeletDir,
        cgroups: cgroupfsCleaner,
        onStatus: (p, s) => {
          if (ready(s) && !readyAt.has(p.metadata.uid))
            readyAt.set(p.metadata.uid, performance.now());
        },
      });
      await k.start();
      k.setPods([]);
      kubelets.push(k);
    }

    const cpu0 = process.cpuUsage();
    const desired = lab.hosts.map(() => [] as Pod[]);
    for (let i = 0; i < pods; i++) {
      const w = i % workers;
      const p = pod(`web-${i}`, lab.hosts[w].spec.name);
      desired[w].push(p);
    }
    const t0 = performance.now();
    kubelets.forEach((k, w) => {
      for (const p of desired[w]) desiredAt.set(p.metadata.uid, t0);
      k.setPods(desired[w]);
    });
    const deadline = Date.now() + 120_000;
    while (readyAt.size < pods && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const startCpu = process.cpuUsage(cpu0);
    const latencies = [...readyAt]
      .map(([uid, at]) => at - desiredAt.get(uid)!)
      .sort((a, b) => a - b);

    const mem0 = process.memoryUsage();
    const cpu1 = process.cpuUsage();
    await new Promise((r) => setTimeout(r, idleSeconds * 1000));
    const idleCpu = process.cpuUsage(cpu1);
    const mem1 = process.memoryUsage();

    console.log(
      `pod start through CRI: ${pods} pods on ${workers} workers, image present, all desired at once`,
    );
    console.log(`  ready ${readyAt.size}/${pods}`);
    if (latencies.length > 0) {
      console.log(
        `  desired -> Running+Ready ms: p50 ${percentile(latencies, 50).toFixed(0)}  p90 ${percentile(latencies, 90).toFixed(0)}  p99 ${percentile(latencies, 99).toFixed(0)}  max ${latencies[latencies.length - 1].toFixed(0)}`,
      );
    }
    const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
    console.log(
      `  kubelet CPU to start them: ${(ms(startCpu) / pods).toFixed(1)} ms per pod (user+system)`,
    );
    console.log(
      `  kubelet CPU idle with ${pods} pods: ${((ms(idleCpu) / idleSeconds / pods) * 1000).toFixed(1)} µs per pod per second (${(ms(idleCpu) / idleSeconds / 10).toFixed(2)}% of a core)`,
    );
    console.log(
      `  kubelet memory with ${pods} pods: rss ${(mem1.rss / 2 ** 20).toFixed(1)} MiB, heap ${(mem0.heapUsed / 2 ** 20).toFixed(1)}-${(mem1.heapUsed / 2 ** 20).toFixed(1)} MiB for ${workers} kubelets in one process`,
    );

    // Stop them all and time that too (grace 1 s; httpd ignores SIGTERM, so each takes the grace).
    const stopped = new Set<string>();
    const s0 = performance.now();
    kubelets.forEach((k) => k.setPods([]));
    const stopDeadline = Date.now() + 120_000;
    while (kubelets.some((k) => k.pods().length > 0) && Date.now() < stopDeadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    void stopped;
    console.log(
      `  all ${pods} deleted (grace 1 s) in ${((performance.now() - s0) / 1000).toFixed(1)} s`,
    );
  } finally {
    for (const k of kubelets) k.stop();
    for (const r of runtimes) r.close();
    await lab.destroy();
    const left = await lab.leftovers();
    if (left.length > 0) console.log('left behind:', left);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
