// Nodes, Endpoints, EndpointSlices and Events (core/v1 and events.k8s.io/v1) as protobuf: every
// field travels and comes back as JSON, and one small object of each kind is checked byte for byte
// against bytes written out by hand from k8s.io/api's generated.proto field numbers. The discovery
// and events groups share message names with core/v1 (EndpointPort, Event, EventSeries, EventList):
// each kind must get its own group's message.
import type { KubeObject } from '../object';
import {
  decodeKubernetesProtobuf,
  decodeMessage,
  encodeKubernetesProtobuf,
  encodeMessage,
  messageSchema,
  protobufKinds,
  protobufMessageFor,
} from '../protobuf';

const CORE = 'k8s.io.api.core.v1';
const DISCOVERY = 'k8s.io.api.discovery.v1';
const EVENTS = 'k8s.io.api.events.v1';

const roundTrip = (o: KubeObject) =>
  decodeKubernetesProtobuf(encodeKubernetesProtobuf(o as never)) as unknown as KubeObject;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

describe('Node, Endpoints, EndpointSlice and Event as protobuf', () => {
  it('covers the five kinds, each with its own group’s message', () => {
    expect(protobufKinds()).toEqual(
      expect.arrayContaining([
        'v1/Node',
        'v1/Endpoints',
        'discovery.k8s.io/v1/EndpointSlice',
        'v1/Event',
        'events.k8s.io/v1/Event',
      ]),
    );
    expect(protobufMessageFor('v1', 'Event')).toBe(`${CORE}.Event`);
    expect(protobufMessageFor('v1', 'EventList')).toBe(`${CORE}.EventList`);
    expect(protobufMessageFor('events.k8s.io/v1', 'Event')).toBe(`${EVENTS}.Event`);
    expect(protobufMessageFor('events.k8s.io/v1', 'EventList')).toBe(`${EVENTS}.EventList`);
    expect(protobufMessageFor('discovery.k8s.io/v1', 'EndpointSliceList')).toBe(
      `${DISCOVERY}.EndpointSliceList`,
    );
  });

  it('resolves a shared short name within the referring package, and refuses it unqualified', () => {
    const portOf = (message: string, field: string) =>
      messageSchema(message).fields.find((f) => f.json === field)!.value;
    expect(portOf(`${DISCOVERY}.EndpointSlice`, 'ports')).toEqual({
      kind: 'message',
      name: `${DISCOVERY}.EndpointPort`,
    });
    expect(portOf(`${CORE}.EndpointSubset`, 'ports')).toEqual({
      kind: 'message',
      name: `${CORE}.EndpointPort`,
    });
    expect(portOf(`${EVENTS}.Event`, 'series')).toEqual({
      kind: 'message',
      name: `${EVENTS}.EventSeries`,
    });
    // events/v1 has no EventSource of its own: core/v1's, the only one.
    expect(portOf(`${EVENTS}.Event`, 'deprecatedSource')).toEqual({
      kind: 'message',
      name: `${CORE}.EventSource`,
    });
    expect(() => messageSchema('EndpointPort')).toThrow(/ambiguous/);
    // Names only one package has still work short.
    expect(messageSchema('NodeSpec').name).toBe(`${CORE}.NodeSpec`);
  });

  describe('golden bytes from the field numbers', () => {
    it('Node: metadata 1, spec 2 (podCIDR 1, unschedulable 4), status 3 (daemonEndpoints 6)', () => {
      const node = {
        metadata: { name: 'n1' },
        spec: { podCIDR: '10.0.0.0/24', unschedulable: true },
        status: { daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } },
      };
      const golden = bytes(`
        0a04 0a02 6e31
        120f 0a0b 31302e302e302e302f3234 2001
        1a07 3205 0a03 08 8a50`);
      expect(hex(encodeMessage(`${CORE}.Node`, node))).toBe(hex(golden));
      expect(decodeMessage(`${CORE}.Node`, golden)).toEqual(node);
    });

    it('Endpoints: subsets 2 (addresses 1 with ip 1, ports 3 with port 2 and protocol 3)', () => {
      const endpoints = {
        metadata: { name: 'e' },
        subsets: [{ addresses: [{ ip: '10.1.2.3' }], ports: [{ port: 80, protocol: 'TCP' }] }],
      };
      const golden = bytes(`
        0a03 0a01 65
        1215 0a0a 0a08 31302e312e322e33 1a07 1050 1a03 544350`);
      expect(hex(encodeMessage(`${CORE}.Endpoints`, endpoints))).toBe(hex(golden));
      expect(decodeMessage(`${CORE}.Endpoints`, golden)).toEqual(endpoints);
    });

    it('EndpointSlice: endpoints 2, ports 3 (discovery’s: port 3), addressType 4, in the envelope', () => {
      const slice = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: { name: 's' },
        addressType: 'IPv4',
        endpoints: [{ addresses: ['10.1.2.3'], conditions: { ready: true } }],
        ports: [{ name: 'http', port: 80 }],
      };
      const message = `
        0a03 0a01 73
        120e 0a08 31302e312e322e33 1202 0801
        1a08 0a04 68747470 1850
        2204 49507634`;
      // k8s\0, then runtime.Unknown: typeMeta 1 (apiVersion 1, kind 2), raw 2, two empty strings.
      const golden = bytes(`
        6b387300
        0a24 0a13 646973636f766572792e6b38732e696f2f7631 120d 456e64706f696e74536c696365
        1225 ${message}
        1a00 2200`);
      expect(hex(encodeKubernetesProtobuf(slice))).toBe(hex(golden));
      expect(decodeKubernetesProtobuf(golden)).toEqual(slice);
    });

    it('core/v1 Event: involvedObject 2 (kind 1, name 3), reason 3, count 8', () => {
      const event = {
        metadata: { name: 'ev' },
        involvedObject: { kind: 'Pod', name: 'p' },
        reason: 'Started',
        count: 2,
      };
      const golden = bytes(`
        0a04 0a02 6576
        1208 0a03 506f64 1a01 70
        1a07 53746172746564
        4002`);
      expect(hex(encodeMessage(`${CORE}.Event`, event))).toBe(hex(golden));
      // reportingComponent and reportingInstance have no omitempty: Go writes them empty.
      expect(decodeMessage(`${CORE}.Event`, golden)).toEqual({
        ...event,
        reportingComponent: '',
        reportingInstance: '',
      });
    });

    it('events.k8s.io/v1 Event: eventTime 2 (MicroTime), reportingController 4, reason 7, regarding 8, note 10, type 11', () => {
      const event = {
        metadata: { name: 'ev' },
        eventTime: '2024-01-01T00:00:00.000001Z',
        reportingController: 'kubelet',
        reason: 'Started',
        regarding: { kind: 'Pod', name: 'p' },
        note: 'started',
        type: 'Normal',
      };
      const golden = bytes(`
        0a04 0a02 6576
        1209 08 8081c8ac06 10 e807
        2207 6b7562656c6574
        3a07 53746172746564
        4208 0a03 506f64 1a01 70
        5207 73746172746564
        5a06 4e6f726d616c`);
      expect(hex(encodeMessage(`${EVENTS}.Event`, event))).toBe(hex(golden));
      expect(decodeMessage(`${EVENTS}.Event`, golden)).toEqual(event);
    });
  });

  describe('round trips of whole objects', () => {
    it('carries a Node with its taints, status, images, handlers and config', () => {
      const node: KubeObject = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: { name: 'w1', labels: { 'kubernetes.io/hostname': 'w1' } },
        spec: {
          podCIDR: '10.244.1.0/24',
          podCIDRs: ['10.244.1.0/24', 'fd00:1::/64'],
          providerID: 'flotilla://w1',
          unschedulable: true,
          taints: [
            {
              key: 'node.kubernetes.io/unschedulable',
              effect: 'NoSchedule',
              timeAdded: '2025-01-01T00:00:00Z',
            },
            { key: 'dedicated', value: 'db', effect: 'NoExecute' },
          ],
          configSource: {
            configMap: { namespace: 'kube-system', name: 'kc', kubeletConfigKey: 'kubelet' },
          },
          podPreemptionPolicy: { disableResizePreemption: ['a'] },
        },
        status: {
          capacity: { cpu: '4', memory: '8Gi', pods: '110' },
          allocatable: { cpu: '3500m', memory: '7Gi', pods: '110' },
          phase: 'Running',
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              lastHeartbeatTime: '2025-01-01T00:00:10Z',
              lastTransitionTime: '2025-01-01T00:00:00Z',
              reason: 'KubeletReady',
              message: 'kubelet is posting ready status',
            },
          ],
          addresses: [
            { type: 'InternalIP', address: '10.0.0.11' },
            { type: 'Hostname', address: 'w1' },
          ],
          daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
          nodeInfo: {
            machineID: 'm',
            systemUUID: 'u',
            bootID: 'b',
            kernelVersion: '6.1.0',
            osImage: 'Debian GNU/Linux 12',
            containerRuntimeVersion: 'containerd://1.6.20',
            kubeletVersion: 'v1.32.0',
            kubeProxyVersion: '',
            operatingSystem: 'linux',
            architecture: 'amd64',
            swap: { capacity: 0 },
          },
          images: [{ names: ['busybox:1'], sizeBytes: 4_000_000_000 }],
          volumesInUse: ['kubernetes.io/csi/x'],
          volumesAttached: [{ name: 'kubernetes.io/csi/x', devicePath: '/dev/x' }],
          config: { active: { configMap: { namespace: 'a', name: 'b', kubeletConfigKey: 'c' } } },
          runtimeHandlers: [
            { name: 'runc', features: { recursiveReadOnlyMounts: true, userNamespaces: false } },
          ],
          features: { supplementalGroupsPolicy: true },
          declaredFeatures: ['X'],
        },
      };
      expect(roundTrip(node)).toEqual(node);
    });

    it('carries Endpoints with ready and not-ready addresses and their target references', () => {
      const endpoints: KubeObject = {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'web', namespace: 'default' },
        subsets: [
          {
            addresses: [
              {
                ip: '10.244.1.5',
                hostname: 'web-0',
                nodeName: 'w1',
                targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u1' },
              },
            ],
            notReadyAddresses: [{ ip: '10.244.2.6' }],
            ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
          },
        ],
      };
      expect(roundTrip(endpoints)).toEqual(endpoints);
    });

    it('carries an EndpointSlice with conditions, hints, topology and pointer fields set to zero', () => {
      const slice: KubeObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: 'web-abc',
          namespace: 'default',
          labels: { 'kubernetes.io/service-name': 'web' },
        },
        addressType: 'IPv4',
        endpoints: [
          {
            addresses: ['10.244.1.5'],
            conditions: { ready: false, serving: true, terminating: true },
            hostname: 'web-0',
            targetRef: { kind: 'Pod', namespace: 'default', name: 'web-0', uid: 'u1' },
            deprecatedTopology: { zone: 'a' },
            nodeName: 'w1',
            zone: 'a',
            hints: { forZones: [{ name: 'a' }], forNodes: [{ name: 'w1' }] },
          },
        ],
        ports: [{ name: '', protocol: 'TCP', port: 0, appProtocol: 'http' }],
      };
      expect(roundTrip(slice)).toEqual(slice);
      // No ports at all: Go writes "ports": null (no omitempty).
      const bare = { ...slice, endpoints: [{ addresses: ['10.0.0.1'] }], ports: undefined };
      expect(roundTrip(JSON.parse(JSON.stringify(bare)))).toEqual({
        ...JSON.parse(JSON.stringify(bare)),
        ports: null,
      });
    });

    it('carries a core/v1 Event with its source, series and related object', () => {
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'web-0.17f', namespace: 'default' },
        involvedObject: {
          kind: 'Pod',
          namespace: 'default',
          name: 'web-0',
          uid: 'u1',
          apiVersion: 'v1',
          resourceVersion: '12',
          fieldPath: 'spec.containers{web}',
        },
        reason: 'BackOff',
        message: 'Back-off restarting failed container',
        source: { component: 'kubelet', host: 'w1' },
        firstTimestamp: '2025-01-01T00:00:00Z',
        lastTimestamp: '2025-01-01T00:05:00Z',
        count: 7,
        type: 'Warning',
        eventTime: '2025-01-01T00:00:00.123456Z',
        series: { count: 3, lastObservedTime: '2025-01-01T00:05:00.000100Z' },
        action: 'Restarting',
        related: { kind: 'Node', name: 'w1' },
        reportingComponent: 'kubelet',
        reportingInstance: 'w1',
      };
      expect(roundTrip(event)).toEqual(event);
    });

    it('carries an events.k8s.io/v1 Event with its series and deprecated fields', () => {
      const event: KubeObject = {
        apiVersion: 'events.k8s.io/v1',
        kind: 'Event',
        metadata: { name: 'web-0.17f', namespace: 'default' },
        eventTime: '2025-01-01T00:00:00.123456Z',
        series: { count: 2, lastObservedTime: '2025-01-01T00:01:00.000000Z' },
        reportingController: 'kubelet',
        reportingInstance: 'w1',
        action: 'Pulling',
        reason: 'Pulling',
        regarding: { kind: 'Pod', namespace: 'default', name: 'web-0' },
        related: { kind: 'Node', name: 'w1' },
        note: 'Pulling image "busybox:1"',
        type: 'Normal',
        deprecatedSource: { component: 'kubelet', host: 'w1' },
        deprecatedFirstTimestamp: '2025-01-01T00:00:00Z',
        deprecatedLastTimestamp: '2025-01-01T00:01:00Z',
        deprecatedCount: 2,
      };
      expect(roundTrip(event)).toEqual(event);
    });

    it('carries lists of each kind', () => {
      const list = (apiVersion: string, kind: string, items: KubeObject[]) =>
        ({
          apiVersion,
          kind,
          metadata: { resourceVersion: '42' },
          items,
        }) as unknown as KubeObject;
      const node = { metadata: { name: 'n' } } as KubeObject;
      expect(roundTrip(list('v1', 'NodeList', [node]))).toEqual(list('v1', 'NodeList', [node]));
      const ev = {
        metadata: { name: 'e' },
        eventTime: '2025-01-01T00:00:00.000000Z',
      } as unknown as KubeObject;
      expect(roundTrip(list('events.k8s.io/v1', 'EventList', [ev]))).toEqual(
        list('events.k8s.io/v1', 'EventList', [ev]),
      );
    });
  });
});
