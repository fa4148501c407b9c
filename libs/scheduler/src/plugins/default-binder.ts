// DefaultBinder: POST pods/<name>/binding with the pod's uid as precondition (a pod deleted and
// made again under the same name is not bound by a decision taken for the old one).
import type { Pod } from '../api/types';
import type { BindPlugin } from '../framework/interfaces';
import { Status, type Result } from '../framework/status';
import { PluginNames } from './names';

export type BindCall = (pod: Pod, nodeName: string) => Promise<void>;

export class DefaultBinder implements BindPlugin {
  readonly name = PluginNames.DefaultBinder;

  constructor(private readonly call: BindCall) {}

  async bind(pod: Pod, nodeName: string): Promise<Result> {
    try {
      await this.call(pod, nodeName);
      return null;
    } catch (err) {
      return Status.error(`binding rejected: ${(err as Error).message ?? String(err)}`);
    }
  }
}
