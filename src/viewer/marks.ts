/**
 * Named instants on the browser's performance timeline (`roman-lab:<step>`) along the path
 * from "open" to the first pixels on screen, so a profiler or benchmarks/bench_viewer.py can
 * say where that time goes. A handful per opened image: never per chunk or per frame.
 */
export function mark(step: string, detail?: string): void {
  performance.mark(`roman-lab:${step}`, { detail });
}

/** Marks a view's first frame and its first frame with pixels on screen, once each. */
export function firstFramesMarker(): (path: string, tiles: number) => void {
  let frames = 0;
  let drawn = false;
  return (path, tiles) => {
    if (frames++ === 0) {
      mark('first-frame', path);
    }
    if (!drawn && tiles > 0) {
      drawn = true;
      mark('first-pixels', path);
    }
  };
}
