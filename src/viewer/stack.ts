/**
 * The order of a blink stack: which image is current, which one is the reference frame,
 * and in which order the others are fetched ahead. Pure (no DOM, no GL) so it is tested
 * on its own; the view keeps its images in one of these.
 */
export class Stack<T extends { readonly id: string }> {
  get items(): readonly T[] {
    return this.list;
  }

  get length(): number {
    return this.list.length;
  }

  /** Index of the current image (-1 while empty). */
  get currentIndex(): number {
    return this.index;
  }

  get current(): T | null {
    return this.list[this.index] ?? null;
  }

  /** The image whose pixel frame every image is drawn in (the first added unless chosen). */
  get reference(): T | null {
    return this.list.find(item => item.id === this.referenceId) ?? null;
  }

  get(id: string): T | null {
    return this.list.find(item => item.id === id) ?? null;
  }

  indexOf(id: string): number {
    return this.list.findIndex(item => item.id === id);
  }

  /** Appends an image; the first one becomes current and the reference. */
  add(item: T): void {
    if (this.get(item.id)) {
      throw new Error(`the stack already has an image with id ${item.id}`);
    }
    this.list.push(item);
    if (this.list.length === 1) {
      this.index = 0;
      this.referenceId = item.id;
    }
  }

  /**
   * Removes an image. The current one stays current if it remains, else its successor
   * does; removing the reference makes the new current image the reference.
   */
  remove(id: string): T | null {
    const at = this.indexOf(id);
    if (at < 0) {
      return null;
    }
    const [removed] = this.list.splice(at, 1);
    if (at < this.index || this.index >= this.list.length) {
      this.index = Math.max(this.index - (at < this.index ? 1 : 0), 0);
      this.index = Math.min(this.index, this.list.length - 1);
    }
    if (this.referenceId === id) {
      this.referenceId = this.current?.id ?? null;
    }
    return removed;
  }

  /** Moves an image to `index` (clamped); the current image stays current. */
  move(id: string, index: number): void {
    const at = this.indexOf(id);
    if (at < 0) {
      return;
    }
    const current = this.current;
    const [item] = this.list.splice(at, 1);
    this.list.splice(Math.max(0, Math.min(index, this.list.length)), 0, item);
    this.index = current ? this.list.indexOf(current) : this.index;
  }

  /** Makes the image at `index` (wrapped around) current; returns whether it changed. */
  setCurrent(index: number): boolean {
    const n = this.list.length;
    if (n === 0) {
      return false;
    }
    const next = ((Math.trunc(index) % n) + n) % n;
    const changed = next !== this.index;
    this.index = next;
    return changed;
  }

  next(): boolean {
    return this.setCurrent(this.index + 1);
  }

  previous(): boolean {
    return this.setCurrent(this.index - 1);
  }

  setReference(id: string): boolean {
    if (!this.get(id) || id === this.referenceId) {
      return false;
    }
    this.referenceId = id;
    return true;
  }

  /**
   * The other images in the order to fetch them ahead: the next one, the previous one,
   * then onwards in blink order (a blink goes forwards; "previous" is one key away).
   */
  prefetchOrder(): T[] {
    const n = this.list.length;
    if (n < 2) {
      return [];
    }
    const order = [this.index + 1, this.index - 1];
    for (let k = 2; k < n; k++) {
      order.push(this.index + k);
    }
    const seen = new Set<number>([this.index]);
    const items: T[] = [];
    for (const i of order) {
      const at = ((i % n) + n) % n;
      if (!seen.has(at)) {
        seen.add(at);
        items.push(this.list[at]);
      }
    }
    return items;
  }

  private readonly list: T[] = [];
  private index = -1;
  private referenceId: string | null = null;
}
