/**
 * The ramp panel: the up-the-ramp samples of every pixel in a circle, their normalised
 * differences against a live threshold, and a grid of the pixels, with jumps marked as the
 * pipeline flagged them or not. Free of JupyterLab so the lab and the notebook widget mount
 * the same panel; it only needs a host element and a parsed `IRampSet`.
 */
import { IMarker, IRampColours, RampChart } from './chart';
import { RampGridView } from './gridView';
import {
  countJumps,
  describeJumps,
  differenceTimes,
  IJump,
  IRampFacts,
  jumpsAt,
  pixelClasses,
  rampFacts
} from './jumps';
import { countsSinceFirst, IRampSet } from './set';
import { pixelReadout, summaryLine } from './summary';

export { IRampSet, parseRampSet, RampSetError } from './set';

export interface IRampPanelOptions {
  /** The user hovers a ramp or a grid cell (index into `pixels`), or leaves them (null). */
  onHoverPixel?: (index: number | null) => void;
  /** Threshold (sigma) to start with; the data's own threshold when absent. */
  threshold?: number;
  /** The user moved the threshold (to keep it in settings or saved state). */
  onThresholdChange?: (threshold: number) => void;
}

/** Slider range (sigma); the number box accepts any positive value. */
const SLIDER_MIN = 1;
const SLIDER_MAX = 15;
/** Chart size when the host has no layout yet (detached, or hidden). */
const FALLBACK_WIDTH = 520;
const MIN_CHART_HEIGHT = 150;

/** Theme colours with fallbacks for a page without JupyterLab's variables. */
const COLOUR_VARIABLES: Readonly<Record<keyof IRampColours, [string, string]>> = {
  line: ['--roman-ramp-line', '#808080'],
  emphasis: ['--roman-ramp-emphasis', '#1976d2'],
  flagged: ['--roman-ramp-flagged', '#d32f2f'],
  unflagged: ['--roman-ramp-unflagged', '#f57c00'],
  saturated: ['--roman-ramp-saturated', '#8e24aa'],
  guide: ['--roman-ramp-guide', '#757575'],
  axis: ['--roman-ramp-axis', '#424242'],
  grid: ['--roman-ramp-grid', 'rgba(128, 128, 128, 0.25)'],
  font: ['--jp-ui-font-family', 'sans-serif']
};

function readColours(node: HTMLElement): IRampColours {
  const style = getComputedStyle(node);
  const colours = {} as IRampColours;
  for (const [key, [variable, fallback]] of Object.entries(COLOUR_VARIABLES)) {
    colours[key as keyof IRampColours] = style.getPropertyValue(variable).trim() || fallback;
  }
  return colours;
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/** The legend: what each colour and shape means. */
function legend(): HTMLElement {
  const node = element('div', 'jp-RomanRampPanel-legend');
  const items: Array<[string, string]> = [
    ['line', 'pixel ramp'],
    ['emphasis', 'hovered pixel'],
    ['flagged', 'jump, pipeline-flagged (JUMP_DET)'],
    ['unflagged', 'jump found here, not flagged'],
    ['saturated', 'saturated (not a jump)'],
    ['guide', 'threshold (positive steps are jumps)']
  ];
  for (const [kind, text] of items) {
    const item = element('span', 'jp-RomanRampPanel-legendItem');
    const swatch = element('span', 'jp-RomanRampPanel-swatch');
    swatch.dataset.kind = kind;
    item.append(swatch, text);
    node.appendChild(item);
  }
  return node;
}

export class RampPanel {
  /** The panel's root element, appended to the host. */
  readonly node: HTMLDivElement;

  constructor(host: HTMLElement, options: IRampPanelOptions = {}) {
    this.options = options;
    this.chosenThreshold = options.threshold;
    this.node = element('div', 'jp-RomanRampPanel');
    this.summary = element('div', 'jp-RomanRampPanel-summary', 'No ramps loaded.');

    const controls = element('div', 'jp-RomanRampPanel-controls');
    const label = element('label', 'jp-RomanRampPanel-thresholdLabel', 'Threshold');
    this.slider = element('input', 'jp-RomanRampPanel-slider');
    Object.assign(this.slider, { type: 'range', min: `${SLIDER_MIN}`, max: `${SLIDER_MAX}`, step: '0.1' });
    this.slider.setAttribute('aria-label', 'Jump threshold (sigma)');
    this.numberBox = element('input', 'jp-RomanRampPanel-number jp-mod-styled');
    Object.assign(this.numberBox, { type: 'number', min: '0.1', step: '0.1' });
    this.numberBox.setAttribute('aria-label', 'Jump threshold (sigma)');
    label.append(this.slider, this.numberBox, 'σ');
    this.counts = element('span', 'jp-RomanRampPanel-counts');
    const relative = element('label', 'jp-RomanRampPanel-relative');
    this.relativeBox = element('input', '');
    this.relativeBox.type = 'checkbox';
    // On by default: with the bias in, ramps of neighbouring pixels sit hundreds of DN apart and a faint step is invisible.
    this.relativeBox.checked = true;
    this.relativeBox.addEventListener('change', () => this.toggleRelative());
    relative.append(this.relativeBox, 'counts − first resultant');
    controls.append(label, this.counts, relative);
    this.slider.addEventListener('input', () => this.userThreshold(Number(this.slider.value)));
    this.numberBox.addEventListener('change', () => this.userThreshold(Number(this.numberBox.value)));

    const body = element('div', 'jp-RomanRampPanel-body');
    this.charts = element('div', 'jp-RomanRampPanel-charts');
    this.countsHost = element('div', 'jp-RomanRampPanel-chart');
    this.significanceHost = element('div', 'jp-RomanRampPanel-chart');
    this.charts.append(this.countsHost, this.significanceHost);
    this.grid = new RampGridView(() => this.colours, pixel => this.hover(pixel));
    const side = element('div', 'jp-RomanRampPanel-side');
    side.append(
      this.grid.node,
      element(
        'div',
        'jp-RomanRampPanel-caption',
        'Pixels coloured by their strongest difference (σ): grey below the threshold; outlined: jump.'
      )
    );
    body.append(this.charts, side);

    this.readout = element('div', 'jp-RomanRampPanel-readout');
    this.node.append(this.summary, controls, legend(), body, this.readout);
    host.appendChild(this.node);
    this.colours = readColours(this.node);

    if (typeof ResizeObserver !== 'undefined') {
      this.resizeObserver = new ResizeObserver(() => this.resize());
      this.resizeObserver.observe(this.charts);
    }
    // JupyterLab switches themes by attributes on <body>; canvases have to repaint themselves.
    this.themeObserver = new MutationObserver(() => this.refreshColours());
    this.themeObserver.observe(document.body, {
      attributes: true,
      attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
    });
  }

  /** The threshold in use, sigma. */
  get threshold(): number {
    return this.currentThreshold;
  }

  /** Show a ramp set (replacing any shown) at the threshold the options or the user chose, else the set's. */
  setData(set: IRampSet): void {
    this.disposeCharts();
    this.set = set;
    this.facts = rampFacts(set);
    this.external = null;
    if (this.hovered !== null) {
      this.hovered = null;
      this.options.onHoverPixel?.(null);
    }
    this.currentThreshold = this.chosenThreshold ?? set.threshold;
    this.countsChart = this.makeCountsChart(set, this.facts);
    this.significanceChart = new RampChart(
      this.significanceHost,
      {
        xs: differenceTimes(set.times),
        lines: set.significance,
        xLabel: 'time of resultant difference (s)',
        yLabel: 'normalised difference (σ)',
        colours: () => this.colours,
        onHover: line => this.hover(line)
      },
      this.chartSize()
    );
    this.grid.setData(set.pixels, this.facts.strongest);
    this.applyThreshold();
  }

  /** Re-threshold from the significances already here (no refetch). */
  setThreshold(threshold: number): void {
    if (!(threshold > 0) || !Number.isFinite(threshold)) {
      return;
    }
    this.currentThreshold = this.chosenThreshold = threshold;
    this.applyThreshold();
  }

  /** Emphasise a pixel's ramp from outside (the image viewer's hover); null clears. Does not call onHoverPixel. */
  highlightPixel(index: number | null): void {
    this.external = index !== null && this.set && index >= 0 && index < this.set.pixels.length ? index : null;
    this.render();
  }

  dispose(): void {
    this.resizeObserver?.disconnect();
    this.themeObserver.disconnect();
    this.disposeCharts();
    this.grid.dispose();
    this.node.remove();
  }

  /** Raw counts, or counts since the first resultant (per-pixel bias gone, so ramps overlap and steps show). */
  private makeCountsChart(set: IRampSet, facts: IRampFacts): RampChart {
    const relative = this.relativeBox.checked;
    return new RampChart(
      this.countsHost,
      {
        xs: set.times,
        lines: relative ? countsSinceFirst(set.counts) : set.counts,
        xLabel: 'mean resultant time (s)',
        yLabel: relative ? 'counts − first resultant (DN)' : 'counts (DN)',
        excludeFromRange: facts.saturated,
        colours: () => this.colours,
        onHover: line => this.hover(line)
      },
      this.chartSize()
    );
  }

  private toggleRelative(): void {
    if (this.set && this.facts) {
      this.countsChart?.dispose();
      this.countsChart = this.makeCountsChart(this.set, this.facts);
      this.render();
    }
  }

  private userThreshold(threshold: number): void {
    if (threshold > 0 && Number.isFinite(threshold)) {
      this.setThreshold(threshold);
      this.options.onThresholdChange?.(threshold);
    }
  }

  private applyThreshold(): void {
    const threshold = this.currentThreshold;
    this.slider.value = `${Math.min(SLIDER_MAX, Math.max(SLIDER_MIN, threshold))}`;
    this.numberBox.value = threshold.toFixed(1);
    if (!this.set || !this.facts) {
      return;
    }
    this.jumps = jumpsAt(this.set, this.facts, threshold);
    this.classes = pixelClasses(this.set.pixels.length, this.jumps);
    this.summary.textContent = summaryLine(this.set, threshold);
    this.counts.textContent = describeJumps(countJumps(this.jumps), threshold);
    const n = this.set.times.length;
    const saturatedResultants: IMarker[] = [...this.facts.saturated].map(key => ({
      line: Math.floor(key / n),
      sample: key % n,
      kind: 'saturated'
    }));
    this.countsMarkers = this.jumps
      .filter(j => j.kind !== 'saturated')
      .map<IMarker>(j => ({ line: j.pixel, sample: j.resultant, kind: j.kind }))
      .concat(saturatedResultants);
    this.significanceMarkers = this.jumps.map(j => ({ line: j.pixel, sample: j.resultant - 1, kind: j.kind }));
    this.render();
  }

  /** The pointer is over a ramp or cell (or left them): emphasise it and tell the host. */
  private hover(pixel: number | null): void {
    if (pixel === this.hovered) {
      return;
    }
    this.hovered = pixel;
    this.render();
    this.options.onHoverPixel?.(pixel);
  }

  private render(): void {
    if (!this.set || !this.facts) {
      return;
    }
    const emphasised = this.hovered ?? this.external;
    const threshold = this.currentThreshold;
    this.countsChart?.setState({
      classes: this.classes,
      markers: this.countsMarkers,
      emphasised,
      guides: []
    });
    this.significanceChart?.setState({
      classes: this.classes,
      markers: this.significanceMarkers,
      emphasised,
      guides: [threshold]
    });
    this.grid.setState({ threshold, classes: this.classes, emphasised });
    this.readout.textContent =
      emphasised === null
        ? 'Hover a ramp or a pixel of the grid to see its jumps.'
        : pixelReadout(this.set, emphasised, this.facts.strongest[emphasised], this.jumps);
  }

  private chartSize(): { width: number; height: number } {
    const width = this.charts.clientWidth || FALLBACK_WIDTH;
    const height = Math.max(MIN_CHART_HEIGHT, Math.floor((this.charts.clientHeight || 2 * 240) / 2) - 4);
    return { width, height };
  }

  private resize(): void {
    const { width, height } = this.chartSize();
    this.countsChart?.setSize(width, height);
    this.significanceChart?.setSize(width, height);
  }

  private refreshColours(): void {
    this.colours = readColours(this.node);
    this.countsChart?.refresh();
    this.significanceChart?.refresh();
    this.grid.draw();
  }

  private disposeCharts(): void {
    this.countsChart?.dispose();
    this.significanceChart?.dispose();
    this.countsChart = this.significanceChart = null;
  }

  private readonly options: IRampPanelOptions;
  private readonly summary: HTMLDivElement;
  private readonly slider: HTMLInputElement;
  private readonly numberBox: HTMLInputElement;
  private readonly counts: HTMLSpanElement;
  private readonly relativeBox: HTMLInputElement;
  private readonly charts: HTMLDivElement;
  private readonly countsHost: HTMLDivElement;
  private readonly significanceHost: HTMLDivElement;
  private readonly readout: HTMLDivElement;
  private readonly grid: RampGridView;
  private readonly resizeObserver: ResizeObserver | null = null;
  private readonly themeObserver: MutationObserver;
  private colours: IRampColours;
  private set: IRampSet | null = null;
  private facts: IRampFacts | null = null;
  private currentThreshold = 5;
  /** Set by the options or the user; kept across data sets (a new circle keeps the user's threshold). */
  private chosenThreshold: number | undefined;
  private jumps: IJump[] = [];
  private classes: Uint8Array = new Uint8Array(0);
  private countsMarkers: IMarker[] = [];
  private significanceMarkers: IMarker[] = [];
  private countsChart: RampChart | null = null;
  private significanceChart: RampChart | null = null;
  /** Pixel under the pointer in this panel, and the one the host asked to highlight. */
  private hovered: number | null = null;
  private external: number | null = null;
}
