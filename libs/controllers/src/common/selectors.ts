import { labelSelectorFromObject, type LabelSelector } from '@flotilla/api';

type SelectorObject = Parameters<typeof labelSelectorFromObject>[0];

/** The parsed selector of a workload, or undefined when it cannot be parsed (logged by the caller). */
export function selectorOf(spec: { selector?: unknown } | undefined): LabelSelector | undefined {
  try {
    return labelSelectorFromObject((spec?.selector ?? null) as SelectorObject);
  } catch {
    return undefined;
  }
}
