/**
 * The sidebar's list of the blink stack: one entry per image with its thumbnail, time,
 * detector and alignment, a WCS to borrow when it has none, and mark / move / remove buttons.
 */
import { ImageView } from '../viewer/view';
import { StackImage } from '../viewer/stackImage';
import { smallButton } from './buttons';

export class StackList {
  constructor(
    private readonly list: HTMLElement,
    /** The "Aligned on" picker of the reference image. */
    private readonly referenceSelect: HTMLSelectElement
  ) {}

  /** The next render rebuilds the list (another viewer). */
  reset(): void {
    this.signature = '';
  }

  /**
   * The list of a view's stack: rebuilt when images, order, marks or the reference change; on
   * a mere switch of the current image (a blink) only the highlight and the thumbnails move.
   */
  render(view: ImageView): void {
    const images = view.images;
    const reference = view.reference;
    const signature = JSON.stringify([reference?.id, images.map(i => [i.id, i.info.mark, i.info.wcsFrom])]);
    if (signature !== this.signature) {
      this.signature = signature;
      const select = this.referenceSelect;
      select.textContent = '';
      for (const image of images) {
        select.append(new Option(image.info.name, image.id, false, image === reference));
      }
      this.list.textContent = '';
      images.forEach((image, index) => this.list.append(this.item(view, image, index, images.length)));
    }
    for (const item of Array.from(this.list.children) as HTMLElement[]) {
      const image = images.find(i => i.id === item.dataset.id);
      item.classList.toggle('jp-mod-current', image === view.current);
      const canvas = item.querySelector('canvas') as HTMLCanvasElement;
      const picture = image && view.thumbnail(image, 48);
      if (picture && this.drawn.get(canvas) !== picture) {
        this.drawn.set(canvas, picture);
        canvas.width = picture.width;
        canvas.height = picture.height;
        canvas.getContext('2d')?.putImageData(picture, 0, 0);
      }
    }
  }

  private item(view: ImageView, image: StackImage, index: number, count: number): HTMLElement {
    const info = image.info;
    const item = document.createElement('li');
    item.className = 'jp-RomanSidebar-stackItem';
    item.dataset.id = image.id;
    item.dataset.mark = info.mark ?? '';
    const thumb = document.createElement('canvas');
    thumb.className = 'jp-RomanSidebar-thumb';
    thumb.width = 48;
    thumb.height = 48;
    const text = document.createElement('div');
    text.className = 'jp-RomanSidebar-stackText';
    const name = document.createElement('div');
    name.className = 'jp-RomanSidebar-stackName';
    name.textContent = `${index + 1}. ${info.name}${info.mark ? ' ⚑ suspicious' : ''}`;
    name.title = info.path;
    const details = document.createElement('div');
    details.className = 'jp-RomanSidebar-stackDetails';
    const alignment = view.alignmentOf(image);
    details.textContent = [
      (info.time ?? '').replace('T', ' ').slice(0, 19),
      info.detector ?? '',
      info.kind,
      alignment === 'reference' ? 'reference frame' : alignment === 'pixel' ? 'aligned by pixel (no WCS)' : ''
    ]
      .filter(Boolean)
      .join(' · ');
    text.append(name, details);
    if (!image.ownWcs) {
      const borrow = document.createElement('select');
      borrow.className = 'jp-RomanSidebar-wcsFrom';
      borrow.title = 'This image has no WCS: draw it with the WCS of another image';
      borrow.append(new Option('no WCS (pixel on pixel)', ''));
      for (const other of view.images) {
        if (other !== image && other.ownWcs) {
          borrow.append(new Option(`WCS of ${other.info.name}`, other.id, false, other.id === info.wcsFrom));
        }
      }
      borrow.addEventListener('change', () => view.borrowWcs(image.id, borrow.value || null));
      text.append(borrow);
    }
    const tools = document.createElement('div');
    tools.className = 'jp-RomanSidebar-stackTools';
    tools.append(
      smallButton(info.mark ? 'Unmark' : 'Mark', 'jp-RomanSidebar-mark', () => view.mark(image.id, info.mark ? null : 'suspicious')),
      smallButton('↑', 'jp-RomanSidebar-up', () => view.move(image.id, index - 1)),
      smallButton('↓', 'jp-RomanSidebar-down', () => view.move(image.id, index + 1)),
      smallButton('✕', 'jp-RomanSidebar-remove', () => view.remove(image.id))
    );
    (tools.querySelector('.jp-RomanSidebar-up') as HTMLButtonElement).disabled = index === 0;
    (tools.querySelector('.jp-RomanSidebar-down') as HTMLButtonElement).disabled = index === count - 1;
    (tools.querySelector('.jp-RomanSidebar-remove') as HTMLButtonElement).disabled = count === 1;
    (tools.querySelector('.jp-RomanSidebar-mark') as HTMLButtonElement).title = 'Mark this image as suspicious (kept in the saved state)';
    item.append(thumb, text, tools);
    item.addEventListener('click', event => {
      if (!(event.target instanceof HTMLButtonElement || event.target instanceof HTMLSelectElement)) {
        view.setCurrent(image.id);
      }
    });
    return item;
  }

  private signature = '';
  /** The picture each thumbnail canvas shows (redrawn when the view makes a new one). */
  private readonly drawn = new WeakMap<HTMLCanvasElement, ImageData>();
}
