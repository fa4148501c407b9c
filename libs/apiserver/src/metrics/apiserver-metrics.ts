import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Request counts and latencies by verb, resource and code, and open watches, as kube-apiserver names them. */
export class ApiServerMetrics {
  private readonly requests: Counter<'verb' | 'resource' | 'code'>;
  private readonly duration: Histogram<'verb' | 'resource'>;
  private readonly longRunning: Gauge<'verb' | 'resource'>;

  constructor(registry: Registry, watchers: () => number) {
    const registers = [registry];
    this.requests = new Counter({
      name: 'apiserver_request_total',
      help: 'Counter of apiserver requests broken out for each verb, resource and HTTP response code.',
      labelNames: ['verb', 'resource', 'code'],
      registers,
    });
    this.duration = new Histogram({
      name: 'apiserver_request_duration_seconds',
      help: 'Response latency distribution in seconds for each verb and resource (watches: until the stream starts).',
      labelNames: ['verb', 'resource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.longRunning = new Gauge({
      name: 'apiserver_longrunning_requests',
      help: 'Gauge of all active long-running apiserver requests (watches) broken out by verb and resource.',
      labelNames: ['verb', 'resource'],
      registers,
    });
    new Gauge({
      name: 'apiserver_registered_watchers',
      help: 'Number of currently registered watchers on this master (cache and history watches).',
      registers,
      collect() {
        this.set(watchers());
      },
    });
  }

  observe(verb: string, resource: string, code: number, seconds: number): void {
    this.requests.inc({ verb, resource, code: String(code) });
    this.duration.observe({ verb, resource }, seconds);
  }

  /** Counts a running watch; call the returned function when it ends. */
  watchStarted(resource: string): () => void {
    this.longRunning.inc({ verb: 'WATCH', resource });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.longRunning.dec({ verb: 'WATCH', resource });
    };
  }
}
