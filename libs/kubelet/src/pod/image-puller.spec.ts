import { registryOf } from './image-puller';
import { pullPolicy } from './pod-facts';

describe('images', () => {
  it.each([
    ['busybox', 'docker.io'],
    ['flotilla/demo-web:latest', 'docker.io'],
    ['10.231.0.254:5000/flotilla/pause:3.9', '10.231.0.254:5000'],
    ['quay.io/x/y@sha256:abc', 'quay.io'],
    ['localhost/x', 'localhost'],
  ])('%s is pulled from %s', (image, registry) => {
    expect(registryOf(image)).toBe(registry);
  });

  it.each([
    ['busybox', undefined, 'Always'],
    ['busybox:latest', undefined, 'Always'],
    ['busybox:1.36', undefined, 'IfNotPresent'],
    ['10.0.0.1:5000/x', undefined, 'Always'],
    ['x@sha256:0123', undefined, 'IfNotPresent'],
    ['busybox', 'Never', 'Never'],
  ] as const)('%s with policy %s pulls %s', (image, policy, expected) => {
    expect(pullPolicy({ name: 'c', image, imagePullPolicy: policy })).toBe(expected);
  });
});
