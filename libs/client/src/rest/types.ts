// Typed objects for the common kinds: the `kubernetes-types` package's interfaces (the Go API
// structs as TypeScript, Kubernetes 1.30), with metadata required as every stored object has it.
import type { KubeObject } from '@flotilla/api';
import type * as appsV1 from 'kubernetes-types/apps/v1';
import type * as autoscalingV1 from 'kubernetes-types/autoscaling/v1';
import type * as coordinationV1 from 'kubernetes-types/coordination/v1';
import type * as coreV1 from 'kubernetes-types/core/v1';
import type * as discoveryV1 from 'kubernetes-types/discovery/v1';
import type * as eventsV1 from 'kubernetes-types/events/v1';

/** A kubernetes-types interface as a KubeObject (metadata present, extra fields allowed). */
export type Typed<T> = Omit<T, 'metadata'> & KubeObject;

export type Pod = Typed<coreV1.Pod>;
export type Node = Typed<coreV1.Node>;
export type Service = Typed<coreV1.Service>;
export type ConfigMap = Typed<coreV1.ConfigMap>;
export type Namespace = Typed<coreV1.Namespace>;
export type Secret = Typed<coreV1.Secret>;
export type CoreEvent = Typed<coreV1.Event>;
export type Endpoints = Typed<coreV1.Endpoints>;
export type Binding = Typed<coreV1.Binding>;
export type EndpointSlice = Typed<discoveryV1.EndpointSlice>;
export type Lease = Typed<coordinationV1.Lease>;
export type Event = Typed<eventsV1.Event>;
export type Deployment = Typed<appsV1.Deployment>;
export type ReplicaSet = Typed<appsV1.ReplicaSet>;
export type Scale = Typed<autoscalingV1.Scale>;

export type { appsV1, coordinationV1, coreV1, discoveryV1, eventsV1 };
