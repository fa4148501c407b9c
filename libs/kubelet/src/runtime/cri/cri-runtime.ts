// The runtime interface over CRI (runtime.v1) on a unix socket: containerd, CRI-O, any CRI runtime.
import { Client, Metadata, ServiceError, credentials, status as grpcStatus } from '@grpc/grpc-js';
import type {
  ContainerConfig,
  ContainerRuntime,
  ContainerStats,
  ContainerStatus,
  ContainerSummary,
  ExecResult,
  ImageAuth,
  ImageFsUsage,
  ImageInfo,
  RuntimeCondition,
  RuntimeVersion,
  SandboxConfig,
  SandboxStatus,
  SandboxSummary,
  StreamRequest,
} from '../runtime';
import { RuntimeError } from '../runtime';
import { criClientConstructors } from './cri-services';
import {
  Wire,
  containerConfigToWire,
  containerFromWire,
  containerStatusFromWire,
  filesystemUsageFromWire,
  imageFromWire,
  sandboxConfigToWire,
  sandboxFromWire,
  sandboxStatusFromWire,
  statsFromWire,
} from './cri-wire';

export interface CriRuntimeOptions {
  /** unix:///run/containerd/containerd.sock, or a plain socket path. */
  endpoint: string;
  /** Deadline of ordinary calls. */
  callTimeoutMs?: number;
  /** Deadline of image pulls. */
  pullTimeoutMs?: number;
}

type UnaryMethod = (
  request: Wire,
  metadata: Metadata,
  options: { deadline: Date },
  callback: (err: ServiceError | null, response: Wire) => void,
) => void;

export function criTarget(endpoint: string): string {
  if (endpoint.startsWith('unix:')) return endpoint;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  throw new RuntimeError(`runtime endpoint ${JSON.stringify(endpoint)} is not a unix socket`);
}

export class CriRuntime implements ContainerRuntime {
  private readonly runtime: Client;
  private readonly images: Client;
  private readonly callTimeoutMs: number;
  private readonly pullTimeoutMs: number;

  constructor(options: CriRuntimeOptions) {
    const target = criTarget(options.endpoint);
    const { RuntimeService, ImageService } = criClientConstructors();
    const channelOptions = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    this.runtime = new RuntimeService(target, credentials.createInsecure(), channelOptions);
    this.images = new ImageService(target, credentials.createInsecure(), channelOptions);
    this.callTimeoutMs = options.callTimeoutMs ?? 60_000;
    this.pullTimeoutMs = options.pullTimeoutMs ?? 300_000;
  }

  private call(client: Client, method: string, request: Wire, timeoutMs?: number): Promise<Wire> {
    const fn = (client as unknown as Record<string, UnaryMethod>)[method];
    const deadline = new Date(Date.now() + (timeoutMs ?? this.callTimeoutMs));
    return new Promise((resolve, reject) => {
      fn.call(client, request, new Metadata(), { deadline }, (err, response) => {
        if (err) reject(toRuntimeError(method, err));
        else resolve(response);
      });
    });
  }

  private rt(method: string, request: Wire = {}, timeoutMs?: number): Promise<Wire> {
    return this.call(this.runtime, method, request, timeoutMs);
  }

  private img(method: string, request: Wire = {}, timeoutMs?: number): Promise<Wire> {
    return this.call(this.images, method, request, timeoutMs);
  }

  async version(): Promise<RuntimeVersion> {
    const r = await this.rt('Version', { version: 'v1' });
    return {
      runtimeName: String(r.runtime_name ?? ''),
      runtimeVersion: String(r.runtime_version ?? ''),
      runtimeApiVersion: String(r.runtime_api_version ?? ''),
    };
  }

  async status(): Promise<RuntimeCondition[]> {
    const r = await this.rt('Status', {});
    const conditions = ((r.status as Wire | undefined)?.conditions ?? []) as Wire[];
    return conditions.map((c) => ({
      type: String(c.type ?? ''),
      status: c.status === true,
      reason: String(c.reason ?? ''),
      message: String(c.message ?? ''),
    }));
  }

  /** containerd's verbose status carries its CRI config as JSON, sandboxImage included. */
  async sandboxImage(): Promise<string | undefined> {
    const r = await this.rt('Status', { verbose: true });
    const config = ((r.info ?? {}) as Record<string, string>).config;
    if (!config) return undefined;
    try {
      const image = (JSON.parse(config) as { sandboxImage?: unknown }).sandboxImage;
      return typeof image === 'string' && image ? image : undefined;
    } catch {
      return undefined;
    }
  }

  async pullImage(image: string, auth?: ImageAuth, sandbox?: SandboxConfig): Promise<string> {
    const r = await this.img(
      'PullImage',
      {
        image: { image },
        auth: auth
          ? {
              username: auth.username ?? '',
              password: auth.password ?? '',
              auth: auth.auth ?? '',
              server_address: auth.serverAddress ?? '',
              identity_token: auth.identityToken ?? '',
              registry_token: auth.registryToken ?? '',
            }
          : undefined,
        sandbox_config: sandbox ? sandboxConfigToWire(sandbox) : undefined,
      },
      this.pullTimeoutMs,
    );
    return String(r.image_ref ?? '');
  }

  async imageStatus(image: string): Promise<ImageInfo | undefined> {
    const r = await this.img('ImageStatus', { image: { image } });
    const found = r.image as Wire | null | undefined;
    return found && found.id ? imageFromWire(found) : undefined;
  }

  async listImages(): Promise<ImageInfo[]> {
    const r = await this.img('ListImages', {});
    return ((r.images ?? []) as Wire[]).map(imageFromWire);
  }

  async removeImage(image: string): Promise<void> {
    await this.img('RemoveImage', { image: { image } });
  }

  async imageFsInfo(): Promise<ImageFsUsage[]> {
    const r = await this.img('ImageFsInfo', {});
    return ((r.image_filesystems ?? []) as Wire[]).map(filesystemUsageFromWire);
  }

  async runSandbox(config: SandboxConfig): Promise<string> {
    const r = await this.rt('RunPodSandbox', { config: sandboxConfigToWire(config) });
    return String(r.pod_sandbox_id);
  }

  async stopSandbox(id: string): Promise<void> {
    await ignoreNotFound(this.rt('StopPodSandbox', { pod_sandbox_id: id }));
  }

  async removeSandbox(id: string): Promise<void> {
    await ignoreNotFound(this.rt('RemovePodSandbox', { pod_sandbox_id: id }));
  }

  async sandboxStatus(id: string): Promise<SandboxStatus | undefined> {
    const r = await ignoreNotFound(this.rt('PodSandboxStatus', { pod_sandbox_id: id }));
    const s = r?.status as Wire | undefined;
    return s ? sandboxStatusFromWire(s) : undefined;
  }

  async listSandboxes(labels?: Record<string, string>): Promise<SandboxSummary[]> {
    const r = await this.rt('ListPodSandbox', {
      filter: labels ? { label_selector: labels } : undefined,
    });
    return ((r.items ?? []) as Wire[]).map(sandboxFromWire);
  }

  async createContainer(
    sandboxId: string,
    config: ContainerConfig,
    sandbox: SandboxConfig,
  ): Promise<string> {
    const r = await this.rt('CreateContainer', {
      pod_sandbox_id: sandboxId,
      config: containerConfigToWire(config),
      sandbox_config: sandboxConfigToWire(sandbox),
    });
    return String(r.container_id);
  }

  async startContainer(id: string): Promise<void> {
    await this.rt('StartContainer', { container_id: id });
  }

  async stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    // The call returns once the container is gone, so its deadline must outlast the grace period.
    await ignoreNotFound(
      this.rt(
        'StopContainer',
        { container_id: id, timeout: String(Math.max(0, Math.ceil(timeoutSeconds))) },
        this.callTimeoutMs + timeoutSeconds * 1000,
      ),
    );
  }

  async removeContainer(id: string): Promise<void> {
    await ignoreNotFound(this.rt('RemoveContainer', { container_id: id }));
  }

  async listContainers(
    filter: { sandboxId?: string; labels?: Record<string, string> } = {},
  ): Promise<ContainerSummary[]> {
    const r = await this.rt('ListContainers', {
      filter: { pod_sandbox_id: filter.sandboxId ?? '', label_selector: filter.labels ?? {} },
    });
    return ((r.containers ?? []) as Wire[]).map(containerFromWire);
  }

  async containerStatus(id: string): Promise<ContainerStatus | undefined> {
    const r = await ignoreNotFound(this.rt('ContainerStatus', { container_id: id }));
    const s = r?.status as Wire | undefined;
    return s ? containerStatusFromWire(s) : undefined;
  }

  async execSync(id: string, cmd: string[], timeoutSeconds: number): Promise<ExecResult> {
    const r = await this.rt(
      'ExecSync',
      { container_id: id, cmd, timeout: String(Math.max(0, Math.ceil(timeoutSeconds))) },
      (timeoutSeconds + 10) * 1000,
    );
    return {
      stdout: Buffer.from((r.stdout as Buffer | undefined) ?? []),
      stderr: Buffer.from((r.stderr as Buffer | undefined) ?? []),
      exitCode: Number(r.exit_code ?? 0),
    };
  }

  async listContainerStats(): Promise<ContainerStats[]> {
    const r = await this.rt('ListContainerStats', { filter: {} });
    return ((r.stats ?? []) as Wire[]).map(statsFromWire);
  }

  async execUrl(req: StreamRequest): Promise<string> {
    const r = await this.rt('Exec', {
      container_id: req.containerId,
      cmd: req.cmd ?? [],
      tty: req.tty,
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
    });
    return String(r.url);
  }

  async attachUrl(req: StreamRequest): Promise<string> {
    const r = await this.rt('Attach', {
      container_id: req.containerId,
      tty: req.tty,
      stdin: req.stdin,
      stdout: req.stdout,
      stderr: req.stderr,
    });
    return String(r.url);
  }

  async portForwardUrl(sandboxId: string, ports: number[]): Promise<string> {
    const r = await this.rt('PortForward', { pod_sandbox_id: sandboxId, port: ports });
    return String(r.url);
  }

  close(): void {
    this.runtime.close();
    this.images.close();
  }
}

function toRuntimeError(method: string, err: ServiceError): RuntimeError {
  const detail = err.details || err.message;
  return new RuntimeError(
    `${method}: ${detail}`,
    err.code === grpcStatus.NOT_FOUND,
    err.code === grpcStatus.UNAVAILABLE,
  );
}

async function ignoreNotFound<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof RuntimeError && e.notFound) return undefined;
    throw e;
  }
}
