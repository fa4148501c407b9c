// Test doubles for code built on libs/client: a fake API server and a clock that moves when told.
export * from './fake-clock';
export {
  FakeCluster,
  resourceId,
  type FakeCall,
  type FakeClusterOptions,
  type FakeVerb,
} from './fake-cluster';
