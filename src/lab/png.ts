/** A viewer's picture as a PNG (the "Export as PNG" command): the image, its circles and its name. */
import { ICircle } from '../viewer/circles';
import { ImageView } from '../viewer/view';

/** The view as a PNG (base64, without a data: prefix); the selected circle in yellow. */
export function viewAsPng(view: ImageView, circles: readonly ICircle[], selected: number | null, name: string): string {
  const source = view.canvas;
  const out = document.createElement('canvas');
  out.width = source.width;
  out.height = source.height;
  const ctx = out.getContext('2d')!;
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, out.width, out.height);
  ctx.drawImage(source, 0, 0);
  const dpr = devicePixelRatio;
  const zoom = view.view.zoom;
  for (const circle of circles) {
    const [sx, sy] = view.imageToScreen(circle.x, circle.y);
    ctx.beginPath();
    ctx.arc(sx * dpr, sy * dpr, circle.r * zoom, 0, 2 * Math.PI);
    ctx.strokeStyle = circle.id === selected ? '#ffd23f' : '#3fdc68';
    ctx.lineWidth = 2 * dpr;
    ctx.stroke();
  }
  ctx.font = `${12 * dpr}px sans-serif`;
  ctx.fillStyle = '#fff';
  ctx.fillText(name, 8 * dpr, out.height - 8 * dpr);
  return out.toDataURL('image/png').split(',', 2)[1];
}
