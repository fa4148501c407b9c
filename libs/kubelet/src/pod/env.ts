// A container's environment as the kubelet builds it: envFrom sources first, then env in order,
// each value able to refer to the ones before as $(NAME); then $(NAME) in command and args.
import { configMapBytes, secretBytes } from './object-source';
import type { ObjectSource } from './object-source';
import { fieldRefValue, resourceFieldRefValue } from './downward-api';
import type { NodeAllocatable, PodPlacement } from './downward-api';
import type { Container, Pod } from './types';

/** The container cannot be configured yet (CreateContainerConfigError). */
export class ContainerConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainerConfigError';
  }
}

const ENV_NAME = /^[-._a-zA-Z][-._a-zA-Z0-9]*$/;

/** Kubernetes' $(VAR) expansion: $$ is a literal $, unknown or unclosed references stay as written. */
export function expand(input: string, lookup: (name: string) => string | undefined): string {
  let out = '';
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (ch !== '$' || i + 1 >= input.length) {
      out += ch;
      continue;
    }
    const next = input[i + 1];
    if (next === '$') {
      out += '$';
      i++;
    } else if (next === '(') {
      const close = input.indexOf(')', i + 2);
      if (close < 0) {
        out += input.slice(i);
        break;
      }
      const name = input.slice(i + 2, close);
      const value = lookup(name);
      out += value ?? `$(${name})`;
      i = close;
    } else {
      out += ch;
    }
  }
  return out;
}

export interface EnvContext {
  pod: Pod;
  placement: PodPlacement;
  node: NodeAllocatable;
  objects: ObjectSource;
}

async function keyedSource(
  ctx: EnvContext,
  kind: 'ConfigMap' | 'Secret',
  name: string,
  optional: boolean,
): Promise<Map<string, Buffer> | undefined> {
  const ns = ctx.pod.metadata.namespace;
  if (kind === 'ConfigMap') {
    const cm = await ctx.objects.configMap(ns, name);
    if (cm) return configMapBytes(cm);
    if (optional) return undefined;
    throw new ContainerConfigError(`configmap "${name}" not found`);
  }
  const s = await ctx.objects.secret(ns, name);
  if (s) return secretBytes(s);
  if (optional) return undefined;
  throw new ContainerConfigError(`secret "${name}" not found`);
}

/** The environment of container c, in order, later names replacing earlier ones in place. */
export async function containerEnv(
  ctx: EnvContext,
  c: Container,
): Promise<{ key: string; value: string }[]> {
  const env = new Map<string, string>();
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    if (!ref) continue;
    const kind = from.configMapRef ? 'ConfigMap' : 'Secret';
    const data = await keyedSource(ctx, kind, ref.name, ref.optional === true);
    for (const [k, v] of data ?? []) {
      const name = `${from.prefix ?? ''}${k}`;
      // Kubernetes skips keys that are no valid variable name (and says so in an event).
      if (ENV_NAME.test(name)) env.set(name, v.toString('utf8'));
    }
  }
  for (const e of c.env ?? []) {
    env.set(e.name, await envValue(ctx, c, e, env));
  }
  return [...env].map(([key, value]) => ({ key, value }));
}

async function envValue(
  ctx: EnvContext,
  c: Container,
  e: NonNullable<Container['env']>[number],
  sofar: Map<string, string>,
): Promise<string> {
  const from = e.valueFrom;
  if (!from) return expand(e.value ?? '', (n) => sofar.get(n));
  const keyRef = from.configMapKeyRef ?? from.secretKeyRef;
  if (keyRef) {
    const kind = from.configMapKeyRef ? 'ConfigMap' : 'Secret';
    const name = keyRef.name ?? '';
    const optional = keyRef.optional === true;
    const data = await keyedSource(ctx, kind, name, optional);
    const value = data?.get(keyRef.key);
    if (value !== undefined) return value.toString('utf8');
    if (optional) return '';
    throw new ContainerConfigError(
      `couldn't find key ${keyRef.key} in ${kind} ${ctx.pod.metadata.namespace}/${name}`,
    );
  }
  try {
    if (from.fieldRef) return fieldRefValue(ctx.pod, from.fieldRef, ctx.placement);
    if (from.resourceFieldRef) {
      return resourceFieldRefValue(ctx.pod, from.resourceFieldRef, c, ctx.node);
    }
  } catch (err) {
    throw new ContainerConfigError((err as Error).message);
  }
  return '';
}

/** command and args with $(VAR) references to the container's environment filled in. */
export function expandCommand(
  c: Container,
  env: { key: string; value: string }[],
): { command: string[]; args: string[] } {
  const vars = new Map(env.map((e) => [e.key, e.value]));
  const lookup = (n: string) => vars.get(n);
  return {
    command: (c.command ?? []).map((s) => expand(s, lookup)),
    args: (c.args ?? []).map((s) => expand(s, lookup)),
  };
}
