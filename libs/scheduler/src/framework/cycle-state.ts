// What plugins carry from one extension point to the next for one pod's scheduling attempt
// (PreFilter state read by Filter, PreScore state read by Score). Preemption clones it to try
// removing pods without touching the real attempt's state.

/** State a plugin keeps; clone() is called when the whole CycleState is cloned. */
export interface StateData {
  clone(): StateData;
}

export class CycleState {
  private readonly data = new Map<string, StateData>();
  /** PreFilter plugins that answered Skip: their Filter is not run. */
  readonly skipFilter = new Set<string>();
  /** PreScore plugins that answered Skip: their Score is not run. */
  readonly skipScore = new Set<string>();

  read<T extends StateData>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }

  write(key: string, value: StateData): void {
    this.data.set(key, value);
  }

  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.data) c.data.set(k, v.clone());
    for (const s of this.skipFilter) c.skipFilter.add(s);
    for (const s of this.skipScore) c.skipScore.add(s);
    return c;
  }
}
