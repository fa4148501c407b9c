import type { WorkerContainers, WorkerName } from './worker-containers';

export interface ProbeRound {
  round: number;
  at: number;
  attempts: number;
  /** The pod name that answered (demo-web answers its host name), or undefined. */
  answer: string | undefined;
}

const STOP_FILE = '/tmp/flotilla-e2e-probe-stop';

/**
 * Probes http://<address>/ from inside a worker, as a client of the Service would: rounds of up
 * to `attempts` tries (1 s connect timeout each), a round succeeding at the first answer. A
 * client retries; a dead endpoint still in the rotation costs a try, not an outage. Bounded by
 * `maxRounds`; stop() ends it early.
 */
export class ServiceProber {
  private readonly done: Promise<ProbeRound[]>;

  constructor(
    private readonly workers: WorkerContainers,
    private readonly worker: WorkerName,
    address: string,
    options: { maxRounds: number; attempts: number },
  ) {
    const script = [
      `rm -f ${STOP_FILE}`,
      'i=0',
      `while [ "$i" -lt ${options.maxRounds} ] && [ ! -e ${STOP_FILE} ]; do`,
      '  i=$((i+1)); a=0; answer=""',
      `  while [ "$a" -lt ${options.attempts} ] && [ -z "$answer" ]; do`,
      '    a=$((a+1))',
      `    answer="$(curl -s --connect-timeout 1 --max-time 2 http://${address}/ || true)"`,
      '  done',
      '  echo "round $i $(date +%s%3N) $a ${answer:-none}"',
      '  sleep 0.5',
      'done',
    ].join('\n');
    this.done = workers.exec(worker, ['bash', '-c', script]).then((r) =>
      r.output
        .split('\n')
        .map((line) => /^round (\d+) (\d+) (\d+) (\S+)/.exec(line.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({
          round: Number(m[1]),
          at: Number(m[2]),
          attempts: Number(m[3]),
          answer: m[4] === 'none' ? undefined : m[4],
        })),
    );
  }

  /** Ends the probing and returns every round. */
  async stop(): Promise<ProbeRound[]> {
    await this.workers.exec(this.worker, ['touch', STOP_FILE]);
    return this.done;
  }
}
