// Makes a container's image present under its pull policy, with the kubelet's reasons when it
// cannot: ErrImagePull, then ImagePullBackOff until the back-off allows the next try;
// ErrImageNeverPull; InvalidImageName. Credentials come from the pod's imagePullSecrets.
import type { ImageAuth } from '../runtime/runtime';
import type { KubeletContext } from './context';
import { containerField } from './events';
import { secretBytes } from './object-source';
import { pullPolicy } from './pod-facts';
import type { WaitingNote } from '../status/pod-status';
import type { Container, Pod } from './types';

export type PullResult = { imageRef: string } | { note: WaitingNote; retryAt?: number };

const IMAGE_NAME =
  /^[a-z0-9]+(?:[._-]{1,2}[a-z0-9]+|-+[a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:[._-]{1,2}[a-z0-9]+|-+[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** The registry host an image is pulled from (docker.io when the name has none). */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

function sameRegistry(key: string, registry: string): boolean {
  const host = key.replace(/^https?:\/\//, '').split('/')[0];
  const docker = (h: string) =>
    ['docker.io', 'index.docker.io', 'registry-1.docker.io'].includes(h) ? 'docker.io' : h;
  return docker(host) === docker(registry);
}

/** Credentials for image from the pod's docker-config secrets, if any match its registry. */
export async function pullAuth(
  ctx: KubeletContext,
  pod: Pod,
  image: string,
): Promise<ImageAuth | undefined> {
  const registry = registryOf(image);
  for (const ref of pod.spec.imagePullSecrets ?? []) {
    const secret = await ctx.objects.secret(pod.metadata.namespace, ref.name);
    if (!secret) continue;
    const data = secretBytes(secret);
    const raw = data.get('.dockerconfigjson') ?? data.get('.dockercfg');
    if (!raw) continue;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    } catch {
      continue;
    }
    const auths = (parsed.auths ?? parsed) as Record<
      string,
      { username?: string; password?: string; auth?: string }
    >;
    for (const [key, a] of Object.entries(auths)) {
      if (!sameRegistry(key, registry)) continue;
      return { username: a.username, password: a.password, auth: a.auth, serverAddress: key };
    }
  }
  return undefined;
}

export class ImagePuller {
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly ctx: KubeletContext) {}

  async ensure(pod: Pod, c: Container, kind: 'init' | 'app'): Promise<PullResult> {
    const { ctx } = this;
    const image = c.image ?? '';
    const fieldPath = containerField(c.name, kind);
    const event = (type: 'Normal' | 'Warning', reason: string, message: string) =>
      ctx.events.record(pod, { type, reason, message, fieldPath });
    if (!IMAGE_NAME.test(image)) {
      const message = `Failed to apply default image tag "${image}": couldn't parse image name "${image}": invalid reference format`;
      event('Warning', 'InspectFailed', message);
      return { note: { reason: 'InvalidImageName', message } };
    }
    const policy = pullPolicy(c);
    const present = policy === 'Always' ? undefined : await ctx.runtime.imageStatus(image);
    if (present) {
      event('Normal', 'Pulled', `Container image "${image}" already present on machine`);
      return { imageRef: present.id };
    }
    if (policy === 'Never') {
      const message = `Container image "${image}" is not present with pull policy of Never`;
      event('Warning', 'ErrImageNeverPull', message);
      return { note: { reason: 'ErrImageNeverPull', message } };
    }
    const key = `${pod.metadata.uid}/${image}`;
    const now = ctx.clock.now();
    const failed = this.failedAt.get(key);
    const until = failed === undefined ? undefined : ctx.pullBackoff.waitUntil(key, failed, now);
    if (until !== undefined) {
      const message = `Back-off pulling image "${image}"`;
      event('Normal', 'BackOff', message);
      return { note: { reason: 'ImagePullBackOff', message }, retryAt: until };
    }
    ctx.pullBackoff.retried(key, now);
    event('Normal', 'Pulling', `Pulling image "${image}"`);
    try {
      const auth = await pullAuth(ctx, pod, image);
      const ref = await ctx.runtime.pullImage(image, auth);
      const took = (ctx.clock.now() - now) / 1000;
      event('Normal', 'Pulled', `Successfully pulled image "${image}" in ${took.toFixed(3)}s`);
      this.failedAt.delete(key);
      ctx.pullBackoff.forget(key);
      return { imageRef: ref };
    } catch (err) {
      const message = (err as Error).message;
      this.failedAt.set(key, ctx.clock.now());
      event('Warning', 'Failed', `Failed to pull image "${image}": ${message}`);
      event('Warning', 'Failed', 'Error: ErrImagePull');
      // Come back soon: the status moves on to ImagePullBackOff while the back-off lasts.
      return { note: { reason: 'ErrImagePull', message }, retryAt: ctx.clock.now() + 1000 };
    }
  }

  forgetPod(uid: string): void {
    for (const k of this.failedAt.keys()) if (k.startsWith(`${uid}/`)) this.failedAt.delete(k);
    this.ctx.pullBackoff.forgetPrefix(`${uid}/`);
  }
}
