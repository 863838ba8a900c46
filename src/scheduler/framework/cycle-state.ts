/** Per-pod, per-cycle scratch space plugins share between extension points. */
export class CycleState {
  private readonly data = new Map<string, unknown>();
  /** Plugins whose PreFilter (PreScore) said Skip: their Filter (Score) does not run this cycle. */
  readonly skipFilter = new Set<string>();
  readonly skipScore = new Set<string>();
  read<T>(key: string): T | undefined {
    return this.data.get(key) as T | undefined;
  }
  write(key: string, v: unknown): void {
    this.data.set(key, v);
  }
}
