/**
 * A least-recently-used cache bounded by bytes, so the browser's memory stays bounded by the
 * chunk-cache setting however far one pans. The eviction callback lets the renderer free
 * the GPU texture of a chunk when the chunk leaves the cache.
 */
export class LRU<K, V> {
  /** Entries in recency order (a Map iterates in insertion order): oldest first. */
  private readonly entries = new Map<K, { value: V; bytes: number }>();
  private totalBytes = 0;

  /**
   * @param maxBytes the budget; the newest entry is kept even if alone it exceeds it.
   * @param onEvict called for every entry that leaves the cache: evicted, replaced,
   *   deleted or cleared.
   */
  constructor(
    readonly maxBytes: number,
    private readonly onEvict?: (key: K, value: V) => void
  ) {}

  /** The value, marked as just used; undefined if absent. */
  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry?.value;
  }

  /** The value without touching its recency. */
  peek(key: K): V | undefined {
    return this.entries.get(key)?.value;
  }

  has(key: K): boolean {
    return this.entries.has(key);
  }

  /** Adds or replaces an entry of `bytes` bytes, then evicts the least recently used ones. */
  set(key: K, value: V, bytes: number): void {
    this.remove(key);
    this.entries.set(key, { value, bytes });
    this.totalBytes += bytes;
    for (const oldest of this.entries.keys()) {
      if (this.totalBytes <= this.maxBytes || oldest === key) {
        break;
      }
      this.remove(oldest);
    }
  }

  /** Removes an entry (calling onEvict); false if it was absent. */
  delete(key: K): boolean {
    return this.remove(key);
  }

  /** Removes every entry, oldest first. */
  clear(): void {
    for (const key of [...this.entries.keys()]) {
      this.remove(key);
    }
  }

  /** Number of entries. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.totalBytes;
  }

  /** Keys from least to most recently used. */
  keys(): K[] {
    return [...this.entries.keys()];
  }

  private remove(key: K): boolean {
    const entry = this.entries.get(key);
    if (!entry) {
      return false;
    }
    this.entries.delete(key);
    this.totalBytes -= entry.bytes;
    this.onEvict?.(key, entry.value);
    return true;
  }
}
