/**
 * The display (stretch, interval, colormap) across the images of a stack: one display for
 * all or one per image, and limits each image's own or the same (vmin, vmax) for all.
 */
import { Interval } from './math/stretch';
import { Stack } from './stack';
import { DEFAULT_DISPLAY, IDisplaySettings, StackImage } from './stackImage';

/**
 * How the limits of the images relate: each image's own from the interval (its own
 * percentiles or zscale), or the same (vmin, vmax) for all.
 */
export type LimitsMode = 'per-image' | 'fixed';

export class StackDisplay {
  constructor(
    private readonly stack: Stack<StackImage>,
    private readonly options: {
      /** Pixels of an image for limits that need a sample (zscale, histogram equalisation). */
      sample: (image: StackImage) => Float32Array;
      /** Some image's display changed. */
      onChanged: () => void;
      /** Sharing the display was turned off (nothing to redraw, the controls change). */
      onUnshared: () => void;
    }
  ) {}

  /** The display a new image starts with: the current image's while it is shared. */
  get template(): IDisplaySettings {
    return this.sync && this.stack.current ? this.stack.current.display : DEFAULT_DISPLAY;
  }

  /** Gives an image a display (its limits sampled from its own pixels). */
  apply(image: StackImage, change: Partial<IDisplaySettings>): void {
    image.setDisplay(change, () => this.options.sample(image));
  }

  /** Applies a change to every image while the display is shared, else to the current one. */
  set(change: Partial<IDisplaySettings>): void {
    const targets = this.sync ? this.stack.items : this.stack.current ? [this.stack.current] : [];
    if (this.sync && this.limitsMode === 'fixed' && change.interval && change.interval.kind !== 'manual') {
      this.limitsMode = 'per-image'; // asking for an interval by name means each image's own
    }
    for (const image of targets) {
      this.apply(image, change);
    }
    this.options.onChanged();
  }

  /** One display for all images (true, the default) or one per image. */
  get shared(): boolean {
    return this.sync;
  }

  set shared(sync: boolean) {
    this.sync = sync;
    if (sync) {
      this.applyToAll();
    } else {
      this.options.onUnshared();
    }
  }

  /** Gives every image the current image's display (and limits, when they are fixed). */
  applyToAll(): void {
    const current = this.stack.current;
    if (!current) {
      return;
    }
    for (const image of this.stack.items) {
      if (image !== current) {
        this.apply(image, { ...current.display });
      }
    }
    this.options.onChanged();
  }

  get limits(): LimitsMode {
    return this.limitsMode;
  }

  /**
   * 'fixed': the current image's limits become the same (vmin, vmax) for all; 'per-image':
   * each image computes its limits from the interval it had before they were fixed.
   */
  setLimits(mode: LimitsMode): void {
    const current = this.stack.current;
    if (!current || mode === this.limitsMode) {
      return;
    }
    if (mode === 'fixed') {
      this.intervalBeforeFixed = current.display.interval;
      const [vmin, vmax] = current.limits;
      this.limitsMode = 'fixed';
      for (const image of this.stack.items) {
        this.apply(image, { interval: { kind: 'manual', vmin, vmax } });
      }
    } else {
      this.limitsMode = 'per-image';
      const interval = this.intervalBeforeFixed ?? DEFAULT_DISPLAY.interval;
      for (const image of this.stack.items) {
        this.apply(image, { interval });
      }
    }
    this.options.onChanged();
  }

  private sync = true;
  private limitsMode: LimitsMode = 'per-image';
  private intervalBeforeFixed: Interval | null = null;
}
