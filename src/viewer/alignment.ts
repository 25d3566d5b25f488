/**
 * How the images of a stack line up with its reference image: through both TAN-SIP WCSs
 * (an image without one may borrow another's), or pixel on pixel when either has none.
 */
import { mapPixel, TanSipWcs } from './math/wcs';
import { Stack } from './stack';
import { StackImage } from './stackImage';

export type Alignment = 'reference' | 'wcs' | 'pixel';

export class StackAlignment {
  constructor(private readonly stack: Stack<StackImage>) {}

  get reference(): StackImage | null {
    return this.stack.reference;
  }

  /** The WCS an image is drawn with: its own, else the one it borrows, else none. */
  wcsOf(image: StackImage): TanSipWcs | null {
    if (image.ownWcs) {
      return image.ownWcs;
    }
    const lender = image.info.wcsFrom ? this.stack.get(image.info.wcsFrom) : null;
    return lender?.ownWcs ?? null;
  }

  /**
   * How an image lines up with the reference: 'reference' (it is), 'wcs' (through both
   * WCSs), or 'pixel' (one of them has none: drawn pixel on pixel, as ds9's lock frame image).
   */
  alignmentOf(image: StackImage): Alignment {
    const reference = this.stack.reference;
    if (image === reference) {
      return 'reference';
    }
    return this.wcsOf(image) && reference && this.wcsOf(reference) ? 'wcs' : 'pixel';
  }

  /** Reference pixel of an image pixel (identity when aligned by pixel). */
  toReference(image: StackImage, x: number, y: number): [number, number] {
    const wcs = this.wcsPair(image);
    return wcs ? mapPixel(wcs.image, wcs.reference, x, y) : [x, y];
  }

  /** Image pixel of a reference pixel (identity when aligned by pixel). */
  fromReference(image: StackImage, x: number, y: number): [number, number] {
    const wcs = this.wcsPair(image);
    return wcs ? mapPixel(wcs.reference, wcs.image, x, y) : [x, y];
  }

  /** The WCSs of an image and of the reference when the image lines up through them, else null. */
  private wcsPair(image: StackImage): { image: TanSipWcs; reference: TanSipWcs } | null {
    const reference = this.stack.reference;
    return reference && this.alignmentOf(image) === 'wcs' ? { image: this.wcsOf(image)!, reference: this.wcsOf(reference)! } : null;
  }
}
