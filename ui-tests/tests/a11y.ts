/**
 * Checks of how a part of the lab reads and fits, measured in the page: axe-core's serious and
 * critical violations, the WCAG contrast of every visible text (axe reaches only some of it),
 * and every element kept inside the part's width (or cut with an ellipsis and a tooltip).
 */
import AxeBuilder from '@axe-core/playwright';
import { IJupyterLabPageFixture } from '@jupyterlab/galata';
import { Locator } from '@playwright/test';

type Page = IJupyterLabPageFixture;

/**
 * axe-core's serious and critical violations inside `selector`, one line each. One is left out:
 * `aria-pressed` on the host of JupyterLab's toolbar buttons (`jp-button`, a web component with
 * no role of its own), which the component reflects onto the `<button>` in its shadow root
 * (checked by `pressedInShadow`).
 */
export async function axeViolations(page: Page, selector: string): Promise<string[]> {
  const result = await new AxeBuilder({ page }).include(selector).analyze();
  const toolbarHost = (id: string, html: string) => id === 'aria-allowed-attr' && /^<jp-button [^>]*aria-pressed=/.test(html);
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .flatMap(v =>
      v.nodes
        .filter(n => !toolbarHost(v.id, n.html))
        .map(n => `${v.id} (${v.impact}): ${n.target.join(' ')} — ${n.failureSummary ?? ''}`)
    );
}

/** The `aria-pressed` of the `<button>` inside a JupyterLab toolbar button (in its shadow root). */
export function pressedInShadow(button: Locator): Promise<string | null> {
  return button.evaluate((host: HTMLElement) => host.shadowRoot?.querySelector('button')?.getAttribute('aria-pressed') ?? null);
}

/** A text shown under `root` with its WCAG contrast ratio against the background it is drawn on. */
export interface ITextContrast {
  text: string;
  ratio: number;
  color: string;
  background: string;
  /** 3 for large text (WCAG: 18.66 px bold or 24 px), else 4.5 */
  required: number;
}

/**
 * Every visible text under `root` (text nodes, and the value shown by inputs and selects) with
 * its colour composited over the first opaque backgrounds of its ancestors.
 */
export function textContrasts(root: Locator): Promise<ITextContrast[]> {
  return root.evaluate((rootNode: HTMLElement) => {
    type RGBA = [number, number, number, number];
    const parse = (css: string): RGBA => {
      const m = css.match(/rgba?\(([^)]+)\)/);
      if (!m) {
        return [0, 0, 0, 0];
      }
      const p = m[1].split(/[,\s/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
    };
    const over = (top: RGBA, below: RGBA): RGBA => {
      const a = top[3] + below[3] * (1 - top[3]);
      if (a === 0) {
        return [0, 0, 0, 0];
      }
      const mix = (i: number) => (top[i] * top[3] + below[i] * below[3] * (1 - top[3])) / a;
      return [mix(0), mix(1), mix(2), a];
    };
    const luminance = (c: RGBA) => {
      const lin = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
    };
    /** The colour behind an element: its and its ancestors' backgrounds, composited up to an opaque one. */
    const backgroundOf = (element: Element): RGBA => {
      const layers: RGBA[] = [];
      for (let e: Element | null = element; e; e = e.parentElement) {
        const bg = parse(getComputedStyle(e).backgroundColor);
        if (bg[3] > 0) {
          layers.push(bg);
          if (bg[3] >= 1) {
            break;
          }
        }
      }
      return layers.reduceRight<RGBA>((below, top) => over(top, below), [255, 255, 255, 1]);
    };
    const visible = (e: Element) => {
      const style = getComputedStyle(e);
      // WCAG exempts the text of disabled controls
      const disabled = e.closest(':disabled') !== null;
      return !disabled && e.getClientRects().length > 0 && style.visibility === 'visible' && Number(style.opacity) > 0;
    };
    const texts = new Map<Element, string>();
    const walker = document.createTreeWalker(rootNode, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const parent = node.parentElement;
      const text = node.textContent?.trim();
      if (parent && text && !parent.closest('option, script, style, svg, select')) {
        texts.set(parent, `${texts.get(parent) ?? ''} ${text}`.trim());
      }
    }
    rootNode.querySelectorAll('input:not([type=checkbox]):not([type=radio]):not([type=range]), select').forEach(e => {
      const field = e as HTMLInputElement | HTMLSelectElement;
      const shown = field instanceof HTMLSelectElement ? field.selectedOptions[0]?.text : field.value || field.placeholder;
      if (shown) {
        texts.set(field, shown);
      }
    });
    return Array.from(texts)
      .filter(([element]) => visible(element))
      .map(([element, text]) => {
        const style = getComputedStyle(element);
        const background = backgroundOf(element);
        const isPlaceholder = element instanceof HTMLInputElement && !element.value;
        const color = over(parse(isPlaceholder ? getComputedStyle(element, '::placeholder').color : style.color), background);
        const [l1, l2] = [luminance(color), luminance(background)].sort((a, b) => b - a);
        const size = parseFloat(style.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
        const css = (c: RGBA) => `rgb(${c.slice(0, 3).map(Math.round).join(', ')})`;
        return {
          text: text.slice(0, 60),
          ratio: Math.round(((l1 + 0.05) / (l2 + 0.05)) * 100) / 100,
          color: css(color),
          background: css(background),
          required: large ? 3 : 4.5
        };
      });
  });
}

/** The texts of `found` below WCAG AA contrast, each with its ratio and colours. */
export function lowContrast(found: ITextContrast[]): string[] {
  return found.filter(t => t.ratio < t.required).map(t => `“${t.text}” ${t.ratio}:1 (${t.color} on ${t.background})`);
}

/**
 * What does not fit in `root`'s width: visible elements whose right edge passes the root's (those
 * inside a scrolling or clipping box of their own are that box's business), buttons whose label
 * spills out of them, and texts cut with an ellipsis that give no tooltip to read them whole.
 */
export function overflows(root: Locator): Promise<string[]> {
  return root.evaluate((rootNode: HTMLElement) => {
    const found: string[] = [];
    const describe = (e: Element) =>
      `${e.tagName.toLowerCase()}.${Array.from(e.classList).join('.')} “${(e.textContent ?? '').trim().slice(0, 40)}”`;
    if (rootNode.scrollWidth > rootNode.clientWidth + 1) {
      found.push(`it scrolls sideways: ${rootNode.scrollWidth} > ${rootNode.clientWidth} px`);
    }
    for (const e of Array.from(rootNode.querySelectorAll('*'))) {
      const rects = e.getClientRects();
      if (rects.length === 0 || e.closest('svg') !== null && e.tagName !== 'svg') {
        continue;
      }
      let clipped = false;
      for (let a = e.parentElement; a && a !== rootNode; a = a.parentElement) {
        clipped ||= ['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX);
      }
      const past = e.getBoundingClientRect().right - rootNode.getBoundingClientRect().right;
      if (!clipped && past > 1) {
        found.push(`${describe(e)} ends ${Math.round(past)} px past the right edge`);
      }
      if (e instanceof HTMLButtonElement && (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1)) {
        found.push(`${describe(e)}: its label spills out of it`);
      }
      const style = getComputedStyle(e);
      if (style.textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1 && !(e as HTMLElement).title) {
        found.push(`${describe(e)} is cut with no tooltip`);
      }
    }
    return found;
  });
}

/**
 * Tabs through `root` from its first control: the visible controls Tab never reaches, and those
 * it reaches that show no focus ring (no outline and no box-shadow while focused).
 */
export async function keyboardProblems(page: Page, root: Locator): Promise<string[]> {
  const controls = 'button, select, input, textarea, a[href], [tabindex]:not([tabindex="-1"])';
  const all = await root.evaluate((node: HTMLElement, selector: string) => {
    const shown = Array.from(node.querySelectorAll<HTMLElement>(selector)).filter(
      e => e.getClientRects().length > 0 && !(e as HTMLButtonElement).disabled && getComputedStyle(e).visibility === 'visible'
    );
    shown.forEach((e, i) => (e.dataset.a11yIndex = String(i)));
    shown[0]?.focus();
    return shown.length;
  }, controls);
  // focus rings show for keyboard focus: come back to the first control by the keyboard
  await page.keyboard.press('Tab');
  await page.keyboard.press('Shift+Tab');
  const problems: string[] = [];
  const reached = new Set<string>();
  for (let step = 0; step < all + 5; step++) {
    const focused = await page.evaluate(() => {
      const e = document.activeElement as HTMLElement | null;
      if (!e?.dataset.a11yIndex) {
        return null;
      }
      const style = getComputedStyle(e);
      const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
      return { index: e.dataset.a11yIndex, ring, name: `${e.tagName.toLowerCase()}.${Array.from(e.classList).join('.')}` };
    });
    if (!focused) {
      break;
    }
    if (!reached.has(focused.index) && !focused.ring) {
      problems.push(`${focused.name} shows no focus ring`);
    }
    reached.add(focused.index);
    await page.keyboard.press('Tab');
  }
  const missed = await root.evaluate(
    (node: HTMLElement, seen: string[]) =>
      Array.from(node.querySelectorAll<HTMLElement>('[data-a11y-index]'))
        .filter(e => !seen.includes(e.dataset.a11yIndex!))
        .map(e => `${e.tagName.toLowerCase()}.${Array.from(e.classList).join('.')} is not reached by Tab`),
    Array.from(reached)
  );
  return [...problems, ...missed];
}
