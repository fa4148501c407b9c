import {
  GenericContainer,
  getContainerRuntimeClient,
  StartedTestContainer,
  Wait,
} from 'testcontainers';
import { E2ePki, httpsGetText, MASTER_PKI_DIR } from './support/e2e-pki';
import { ipv4HostPort } from './support/host-port';
import { requireLocalImage } from './support/require-image';

const IMAGE = process.env.FLOTILLA_CONTROL_PLANE_IMAGE ?? 'flotilla/control-plane:dev';
const API_PORT = 6443;

describe('control-plane image', () => {
  let container: StartedTestContainer | undefined;
  let removed = false;
  let output = '';
  let baseUrl = '';
  let pki: E2ePki | undefined;

  beforeAll(async () => {
    await requireLocalImage(IMAGE);
    const runtime = await getContainerRuntimeClient();
    pki = await E2ePki.create(['m1'], [runtime.info.containerRuntime.host]);
    // Only the name and the certificates are given: listen host and data dir must come from the
    // image's defaults. Secure, as compose runs it; /healthz is public, /metrics needs credentials.
    container = await new GenericContainer(IMAGE)
      .withEnvironment({ FLOTILLA_NAME: 'm1', FLOTILLA_PKI_DIR: MASTER_PKI_DIR })
      .withBindMounts([{ source: pki.pkiDir, target: MASTER_PKI_DIR, mode: 'ro' }])
      .withExposedPorts(API_PORT)
      .withLogConsumer((stream) =>
        stream.on('data', (chunk: Buffer | string) => (output += chunk.toString())),
      )
      .withWaitStrategy(
        Wait.forHttp('/healthz', API_PORT).usingTls().allowInsecure().forStatusCode(200),
      )
      .withStartupTimeout(120_000)
      .start();
    baseUrl = `https://${container.getHost()}:${await ipv4HostPort(container, API_PORT)}`;
  });

  afterAll(async () => {
    if (container && !removed) await container.stop({ remove: true, removeVolumes: true });
    pki?.remove();
  });

  function url(path: string): string {
    if (!container) throw new Error('container did not start');
    return `${baseUrl}${path}`;
  }

  it('answers /healthz with ok from outside the container, to anyone', async () => {
    const res = await httpsGetText(url('/healthz'), pki!.tls('anonymous'));
    expect(res.status).toBe(200);
    expect(res.body.trim()).toBe('ok');
  });

  it('exports flotilla_build_info on /metrics to the prometheus identity', async () => {
    const res = await httpsGetText(url('/metrics'), pki!.tls('prometheus'));
    expect(res.status).toBe(200);
    expect(res.body).toMatch(/^flotilla_build_info\{/m);
  });

  it('keeps its data on the /var/lib/flotilla volume by default', async () => {
    // The startup log line may trail the first healthy answer by a moment.
    for (let attempt = 0; attempt < 50 && !output.includes('"dataDir"'); attempt++) {
      await sleep(100);
    }
    const dataDirs = output
      .split('\n')
      .map((line) => parseLogLine(line)?.dataDir)
      .filter((dir) => dir !== undefined);
    expect(dataDirs).toEqual(['/var/lib/flotilla']);
  });

  it('exits cleanly on SIGTERM (node is PID 1, so the app must handle it)', async () => {
    const started = container!;
    // Generous grace period: a SIGKILL after it would show as exit code 137.
    await started.stop({ timeout: 30_000, remove: false });
    const client = await getContainerRuntimeClient();
    const stopped = client.container.getById(started.getId());
    const state = (await client.container.inspect(stopped)).State;
    await client.container.remove(stopped, { removeVolumes: true });
    removed = true;
    expect(state.ExitCode).toBe(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** One JSON log line, or undefined for anything else (including a line cut between two chunks). */
function parseLogLine(line: string): { dataDir?: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}
