// Runs one probe once: exec through the runtime (CRI ExecSync), httpGet, tcpSocket and grpc
// against the pod's IP. The kubelet process runs in the node's network namespace, so plain
// sockets reach the pod network.
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { Client, credentials, Metadata, ServiceError } from '@grpc/grpc-js';
import { Root, parse } from 'protobufjs';
import type { ContainerRuntime } from '../runtime/runtime';
import type { Container, IntOrString, Probe } from '../pod/types';

export type ProbeOutcome = { ok: boolean; output: string };

export interface ProbeTarget {
  container: Container;
  containerId: string;
  podIP: string;
}

export interface ProbeRunner {
  run(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome>;
}

export const PROBE_USER_AGENT = 'kube-probe/1.32';

/** A port given by number or by the name of one of the container's ports. */
export function resolvePort(port: IntOrString, c: Container): number {
  if (typeof port === 'number') return port;
  if (/^\d+$/.test(port)) return Number(port);
  const named = c.ports?.find((p) => p.name === port);
  if (!named) throw new Error(`port ${JSON.stringify(port)} not found in container ${c.name}`);
  return named.containerPort;
}

function timeoutMs(probe: Probe): number {
  return (probe.timeoutSeconds ?? 1) * 1000;
}

function hostFor(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function httpProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const action = probe.httpGet!;
  const port = resolvePort(action.port, target.container);
  const host = action.host || target.podIP;
  const scheme = action.scheme === 'HTTPS' ? 'https' : 'http';
  const path = action.path ? (action.path.startsWith('/') ? action.path : `/${action.path}`) : '/';
  const url = `${scheme}://${hostFor(host)}:${port}${path}`;
  const headers: Record<string, string> = { 'User-Agent': PROBE_USER_AGENT, Accept: '*/*' };
  for (const h of action.httpHeaders ?? []) headers[h.name] = h.value;
  return new Promise((resolve) => {
    const lib = scheme === 'https' ? https : http;
    const req = lib.get(
      url,
      { headers, timeout: timeoutMs(probe), rejectUnauthorized: false, agent: false },
      (res) => {
        const code = res.statusCode ?? 0;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < 10_240) body += chunk;
        });
        res.on('end', () =>
          resolve(
            code >= 200 && code < 400
              ? { ok: true, output: body }
              : { ok: false, output: `HTTP probe failed with statuscode: ${code}` },
          ),
        );
        res.on('error', (e) => resolve({ ok: false, output: e.message }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`Get "${url}": context deadline exceeded`)));
    req.on('error', (e) => resolve({ ok: false, output: e.message }));
  });
}

export function tcpProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const action = probe.tcpSocket!;
  const port = resolvePort(action.port, target.container);
  const host = action.host || target.podIP;
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: timeoutMs(probe) });
    const done = (outcome: ProbeOutcome) => {
      socket.destroy();
      resolve(outcome);
    };
    socket.once('connect', () => done({ ok: true, output: '' }));
    socket.once('timeout', () =>
      done({ ok: false, output: `dial tcp ${host}:${port}: i/o timeout` }),
    );
    socket.once('error', (e) =>
      done({ ok: false, output: `dial tcp ${host}:${port}: ${e.message}` }),
    );
  });
}

const HEALTH_PROTO = `
syntax = "proto3";
package grpc.health.v1;
message HealthCheckRequest { string service = 1; }
message HealthCheckResponse {
  enum ServingStatus { UNKNOWN = 0; SERVING = 1; NOT_SERVING = 2; SERVICE_UNKNOWN = 3; }
  ServingStatus status = 1;
}
`;

let healthTypes:
  { req: ReturnType<Root['lookupType']>; res: ReturnType<Root['lookupType']> } | undefined;

function health() {
  if (!healthTypes) {
    const root = new Root();
    parse(HEALTH_PROTO, root, { keepCase: true });
    healthTypes = {
      req: root.lookupType('grpc.health.v1.HealthCheckRequest'),
      res: root.lookupType('grpc.health.v1.HealthCheckResponse'),
    };
  }
  return healthTypes;
}

export function grpcProbe(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
  const action = probe.grpc!;
  const address = `${hostFor(target.podIP)}:${action.port}`;
  const { req, res } = health();
  const client = new Client(address, credentials.createInsecure());
  const deadline = new Date(Date.now() + timeoutMs(probe));
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      '/grpc.health.v1.Health/Check',
      (value: { service: string }) => Buffer.from(req.encode(req.create(value)).finish()),
      (bytes: Buffer) => res.toObject(res.decode(bytes), { enums: String }) as { status?: string },
      { service: action.service ?? '' },
      new Metadata(),
      { deadline },
      (err: ServiceError | null, value?: { status?: string }) => {
        client.close();
        if (err) resolve({ ok: false, output: `rpc error: ${err.details || err.message}` });
        else if (value?.status === 'SERVING') resolve({ ok: true, output: '' });
        else
          resolve({
            ok: false,
            output: `service unhealthy (responded with "${value?.status ?? 'UNKNOWN'}")`,
          });
      },
    );
  });
}

/** The probe runner real nodes use. */
export class NetworkProbeRunner implements ProbeRunner {
  constructor(private readonly runtime: ContainerRuntime) {}

  async run(probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> {
    try {
      if (probe.exec) {
        const r = await this.runtime.execSync(
          target.containerId,
          probe.exec.command ?? [],
          probe.timeoutSeconds ?? 1,
        );
        const output = Buffer.concat([r.stdout, r.stderr]).toString('utf8').slice(0, 10_240);
        return { ok: r.exitCode === 0, output };
      }
      if (probe.httpGet) return await httpProbe(probe, target);
      if (probe.tcpSocket) return await tcpProbe(probe, target);
      if (probe.grpc) return await grpcProbe(probe, target);
      return { ok: false, output: 'probe has no handler' };
    } catch (err) {
      return { ok: false, output: (err as Error).message };
    }
  }
}
