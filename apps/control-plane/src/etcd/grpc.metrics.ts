// The etcd port's calls as Prometheus counters, under the names and labels etcd exports
// (go-grpc-prometheus): grpc_server_started_total, grpc_server_handled_total (with grpc_code),
// grpc_server_msg_received_total and grpc_server_msg_sent_total, so etcd dashboards and alerts
// on error rates work unchanged.
import { Counter, Registry } from 'prom-client';
import type { CallMethod, GrpcCallObserver } from '@flotilla/etcd-api';

/** gRPC status codes by number, spelled as Go's codes.Code prints them (etcd's label values). */
const CODE_NAMES = [
  'OK',
  'Canceled',
  'Unknown',
  'InvalidArgument',
  'DeadlineExceeded',
  'NotFound',
  'AlreadyExists',
  'PermissionDenied',
  'ResourceExhausted',
  'FailedPrecondition',
  'Aborted',
  'OutOfRange',
  'Unimplemented',
  'Internal',
  'Unavailable',
  'DataLoss',
  'Unauthenticated',
];

type Labels = Record<'grpc_type' | 'grpc_service' | 'grpc_method', string>;
type Child = { inc(value?: number): void };

/** The labeled counters of one method, made once: labelling per call costs a hash each time. */
interface MethodCounters {
  started: Child;
  received: Child;
  sent: Child;
  handled: Map<number, Child>;
  labels: Labels;
}

export function methodLabels(method: CallMethod): Labels {
  const [, service = '', name = ''] = method.path.split('/');
  const type = method.requestStream
    ? method.responseStream
      ? 'bidi_stream'
      : 'client_stream'
    : method.responseStream
      ? 'server_stream'
      : 'unary';
  return { grpc_type: type, grpc_service: service, grpc_method: name };
}

export class GrpcMetrics implements GrpcCallObserver {
  private readonly startedTotal: Counter;
  private readonly handledTotal: Counter;
  private readonly receivedTotal: Counter;
  private readonly sentTotal: Counter;
  private readonly methods = new Map<string, MethodCounters>();

  constructor(registry: Registry) {
    const labelNames = ['grpc_type', 'grpc_service', 'grpc_method'];
    const counter = (name: string, help: string, extra: string[] = []) =>
      new Counter({ name, help, labelNames: [...labelNames, ...extra], registers: [registry] });
    this.startedTotal = counter('grpc_server_started_total', 'RPCs started on the etcd port.');
    this.handledTotal = counter(
      'grpc_server_handled_total',
      'RPCs completed on the etcd port, by status code.',
      ['grpc_code'],
    );
    this.receivedTotal = counter(
      'grpc_server_msg_received_total',
      'Request messages received on the etcd port.',
    );
    this.sentTotal = counter('grpc_server_msg_sent_total', 'Messages sent on the etcd port.');
  }

  started(method: CallMethod): void {
    this.of(method).started.inc();
  }

  handled(method: CallMethod, code: number): void {
    const m = this.of(method);
    let child = m.handled.get(code);
    if (child === undefined) {
      child = this.handledTotal.labels({
        ...m.labels,
        grpc_code: CODE_NAMES[code] ?? String(code),
      });
      m.handled.set(code, child);
    }
    child.inc();
  }

  received(method: CallMethod): void {
    this.of(method).received.inc();
  }

  sent(method: CallMethod, messages: number): void {
    this.of(method).sent.inc(messages);
  }

  private of(method: CallMethod): MethodCounters {
    let m = this.methods.get(method.path);
    if (m === undefined) {
      const labels = methodLabels(method);
      m = {
        labels,
        started: this.startedTotal.labels(labels),
        received: this.receivedTotal.labels(labels),
        sent: this.sentTotal.labels(labels),
        handled: new Map(),
      };
      this.methods.set(method.path, m);
    }
    return m;
  }
}
