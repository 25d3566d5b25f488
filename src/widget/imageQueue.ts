/**
 * The files of the `images` trait on their way into the view: each converted through the
 * session's ImageLoader and handed over when display-ready, cancelled when Python drops it,
 * and a failed one not retried until its path changes.
 */
import { ImageLoader } from '../viewer/session/loader';
import { RomanStore } from '../viewer/store';
import { ImageView } from '../viewer/view';
import { IViewImage } from '../viewer/viewState';
import * as traits from './traits';

interface IPending {
  entry: IViewImage;
  cancelled: boolean;
}

export interface IImageQueueHooks {
  /** Adds a display-ready image to the view (`cancelled()`: Python dropped it meanwhile). */
  add(entry: IViewImage, store: RomanStore, cancelled: () => boolean): Promise<void>;
  /** The images on their way changed (progress, toolbar). */
  changed(): void;
  onError(message: string): void;
  disposed(): boolean;
}

export class ImageQueue {
  constructor(
    private readonly loader: ImageLoader,
    private readonly view: ImageView,
    private readonly hooks: IImageQueueHooks
  ) {}

  /** How many images of the trait are not in the view yet (`data-loading`). */
  get waiting(): number {
    return [...this.pending.values()].filter(p => !p.cancelled).length;
  }

  /**
   * Starts the conversions of the trait's new images (the image on screen and the reference
   * first), cancels those Python dropped; returns the ids to take out of the view.
   */
  sync(images: IViewImage[], first: Set<string | null>): string[] {
    const plan = traits.planImages(
      images,
      this.view.images.map(image => ({ id: image.id, path: image.info.path })),
      [...this.pending.values()].map(p => ({ id: p.entry.id, path: p.entry.path })),
      [...this.failed].map(([id, path]) => ({ id, path }))
    );
    for (const id of plan.cancel) {
      const pending = this.pending.get(id);
      if (pending) {
        pending.cancelled = true;
        this.pending.delete(id);
      }
    }
    const wanted = new Set(images.map(entry => entry.id));
    for (const id of [...this.failed.keys()]) {
      if (!wanted.has(id)) {
        this.failed.delete(id);
      }
    }
    const order = [...plan.add].sort((a, b) => Number(first.has(b.id)) - Number(first.has(a.id)));
    for (const entry of order) {
      this.failed.delete(entry.id);
      const pending = { entry, cancelled: false };
      this.pending.set(entry.id, pending);
      void this.convert(pending);
    }
    return plan.remove;
  }

  cancelAll(): void {
    for (const pending of this.pending.values()) {
      pending.cancelled = true;
    }
  }

  /** Converts one image (or joins its conversion), hands it over when display-ready. */
  private async convert(pending: IPending): Promise<void> {
    const { entry } = pending;
    const gone = () => pending.cancelled || this.hooks.disposed();
    try {
      const opened = await this.loader.open(entry.path, entry.name, () => pending.cancelled);
      if (!opened || gone()) {
        return;
      }
      if (opened.store.attrs.level === 1) {
        throw new Error(
          'a Level 1 ramp file has no image to show: load its Level 2 exposure (_cal); its ramps come from there (v.ramps())'
        );
      }
      await this.hooks.add(entry, opened.store, () => pending.cancelled);
      opened.complete.catch(error => {
        if (!this.hooks.disposed() && (error as Error)?.name !== 'AbortError') {
          this.hooks.onError(`The full resolution of ${entry.path} could not be made: ${(error as Error)?.message ?? error}`);
        }
      });
    } catch (error) {
      if (gone() || (error as Error)?.name === 'AbortError') {
        return;
      }
      this.failed.set(entry.id, entry.path);
      this.hooks.onError(`${entry.name} could not be shown: ${(error as Error)?.message ?? error}`);
    } finally {
      if (this.pending.get(entry.id) === pending) {
        this.pending.delete(entry.id);
      }
      this.hooks.changed();
    }
  }

  private readonly pending = new Map<string, IPending>();
  /** Image id -> the path whose conversion failed (not retried until the path changes). */
  private readonly failed = new Map<string, string>();
}
