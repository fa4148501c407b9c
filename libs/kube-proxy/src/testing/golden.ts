// Golden files: expected rulesets kept beside the tests, so a change of output shows up as a diff
// a reviewer reads. UPDATE_GOLDEN=1 rewrites them.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EndpointSlice, Service } from '../api-types';
import type { DesiredState } from '../desired-state';
import type { RenderOptions } from '../render-options';
import { ServiceTracker } from '../service-tracker';
import { SyncPlanner } from '../sync-planner';

export const GOLDEN_DIR = join(__dirname, '..', '..', 'testdata');

export function goldenPath(name: string): string {
  return join(GOLDEN_DIR, `${name}.nft`);
}

export function expectGolden(name: string, actual: string): void {
  const path = goldenPath(name);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(path)) {
    if (process.env.CI && !existsSync(path)) throw new Error(`golden file ${path} is missing`);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(actual).toBe(readFileSync(path, 'utf8'));
}

/** A planner and tracker fed with objects, for rendering desired states in tests. */
export class Scenario {
  readonly tracker = new ServiceTracker();
  readonly planner: SyncPlanner;
  state: DesiredState | undefined;

  constructor(options: RenderOptions) {
    this.planner = new SyncPlanner(options);
  }

  with(objects: (Service | EndpointSlice)[]): this {
    for (const o of objects) {
      if (o.kind === 'Service') this.tracker.upsertService(o as Service);
      else this.tracker.upsertSlice(o as EndpointSlice);
    }
    return this;
  }

  without(objects: (Service | EndpointSlice)[]): this {
    for (const o of objects) {
      if (o.kind === 'Service') this.tracker.deleteService(o as Service);
      else this.tracker.deleteSlice(o as EndpointSlice);
    }
    return this;
  }

  /** Plans the next state from the changes since the last call (all of it the first time). */
  plan() {
    const { dirty } = this.tracker.takeChanges();
    const result = this.planner.plan(
      this.tracker,
      dirty,
      this.state === undefined,
      new Set(this.state?.services.keys() ?? []),
    );
    return result;
  }
}
