export * from './kubelet';
export { RuntimeError } from './runtime/runtime';
export type {
  ContainerRuntime,
  ContainerConfig,
  ContainerSummary,
  ContainerStats,
  ContainerState as RuntimeContainerState,
  ContainerStatus as RuntimeContainerStatus,
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
} from './runtime/runtime';
export * from './runtime/labels';
export { CriRuntime } from './runtime/cri/cri-runtime';
export type { CriRuntimeOptions } from './runtime/cri/cri-runtime';
export { FakeRuntime, normaliseImageName } from './runtime/fake/fake-runtime';
export type { FakeBehaviour, BehaviourFor } from './runtime/fake/fake-runtime';
export * from './pod/types';
export * from './pod/object-source';
export * from './pod/events';
export type { NodeLayout } from './pod/runtime-config';
export type { NodeAllocatable, PodPlacement } from './pod/downward-api';
export { computePodStatus } from './status/pod-status';
export type { StatusInput, WaitingNote } from './status/pod-status';
export { ManualClock, systemClock } from './util/clock';
export type { Clock, Timer } from './util/clock';
export type { Logger } from './util/logger';
export * from './node/node-facts';
export * from './node/node-kubelet';
export * from './node/node-events';
export { ImageGcManager } from './image-gc/image-gc-manager';
export type { ImageGcOptions, ImageGcResult, ImageRecord } from './image-gc/image-gc-manager';
export {
  DEFAULT_IMAGE_GC_POLICY,
  imageGcDisabled,
  imageGcPolicyProblems,
} from './image-gc/image-gc-policy';
export type { ImageGcPolicy } from './image-gc/image-gc-policy';
export { imageGcMetrics } from './image-gc/image-gc-metrics';
export { readImageFsStats } from './image-gc/image-fs-stats';
export type { ImageFsStats } from './image-gc/image-fs-stats';
export * from './standalone/manifest-source';
export { KubeletApi, API_SOURCE, clientClock } from './api/kubelet-api';
export type { KubeletApiOptions, ResourceFor } from './api/kubelet-api';
export { parseLabels, parseTaints } from './api/node-object';
export type { NodeIdentity, PodNetworkState, Taint } from './api/node-object';
export * from './images';
// Worker hosts on one machine (network namespaces, containerd): tests and `flotilla up`.
export { WorkerLab } from './host/lab';
export { renderContainerdConfig, containerdPaths } from './host/containerd-config';
export type { ContainerdConfigInput } from './host/containerd-config';
export type { AgentOptions, LabOptions } from './host/lab';
export { KubeletServer } from './server/kubelet-server';
export type { KubeletServerOptions } from './server/kubelet-server';
export { CLUSTER_DNS_SERVICE } from './api/kubelet-api';
export { ContainerMetrics, PROMETHEUS_TEXT } from './server/container-metrics';
