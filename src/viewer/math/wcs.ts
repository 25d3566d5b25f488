/**
 * The FITS TAN-SIP world coordinate system, evaluated in the browser.
 *
 * gwcs cannot run in a browser, so every store carries a TAN-SIP fit of its gwcs
 * (`fits_wcs` in the store attributes, docs/store-format.md). This evaluates that header
 * as astropy's `all_pix2world(x, y, 0)` does (0-based pixels, pixel centres at integers),
 * in float64: pixel -> SIP (A, B) -> CD -> gnomonic (TAN) -> sky rotation (FITS papers
 * II and the SIP convention). The inverse starts from the AP/BP polynomials and is refined
 * by Newton steps on the forward polynomials, so it is exact to ~1e-10 px even where AP/BP
 * are crude or missing. Only RA---TAN / DEC--TAN (with or without -SIP) are supported.
 */

/** A FITS header as the store's JSON gives it. */
export type FitsHeader = Readonly<Record<string, unknown>>;

const D2R = Math.PI / 180;
const R2D = 180 / Math.PI;

/** One SIP polynomial: sum of c * u^p * v^q. */
type Polynomial = ReadonlyArray<{ p: number; q: number; c: number }>;

/** The header is not a celestial TAN(-SIP) WCS this code can evaluate. */
export class WcsError extends Error {}

function numberKey(header: FitsHeader, key: string, fallback?: number): number {
  const value = header[key];
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value;
  }
  if (value === undefined || value === null) {
    if (fallback !== undefined) {
      return fallback;
    }
    throw new WcsError(`the WCS header has no ${key}`);
  }
  throw new WcsError(`the WCS header keyword ${key} is not a number: ${JSON.stringify(value)}`);
}

function has(header: FitsHeader, key: string): boolean {
  return header[key] !== undefined && header[key] !== null;
}

/**
 * The linear part as a CD matrix [cd11, cd12, cd21, cd22] (degrees per pixel): CDi_j if any
 * is present, else CDELTi x PCi_j, else CDELTi with the legacy CROTA2 rotation.
 */
function linearMatrix(header: FitsHeader): [number, number, number, number] {
  const cd = ['CD1_1', 'CD1_2', 'CD2_1', 'CD2_2'];
  if (cd.some(key => has(header, key))) {
    return cd.map(key => numberKey(header, key, 0)) as [number, number, number, number];
  }
  const c1 = numberKey(header, 'CDELT1', 1);
  const c2 = numberKey(header, 'CDELT2', 1);
  const pc = ['PC1_1', 'PC1_2', 'PC2_1', 'PC2_2'];
  if (!pc.some(key => has(header, key)) && has(header, 'CROTA2')) {
    const rho = numberKey(header, 'CROTA2') * D2R;
    return [c1 * Math.cos(rho), -c2 * Math.sin(rho), c1 * Math.sin(rho), c2 * Math.cos(rho)];
  }
  const [p11, p12, p21, p22] = pc.map((key, i) => numberKey(header, key, i === 0 || i === 3 ? 1 : 0));
  return [c1 * p11, c1 * p12, c2 * p21, c2 * p22];
}

/** The SIP polynomial `<prefix>_p_q` for p + q <= `<prefix>_ORDER`, or null without it. */
function sipPolynomial(header: FitsHeader, prefix: string): Polynomial | null {
  if (!has(header, `${prefix}_ORDER`)) {
    return null;
  }
  const order = numberKey(header, `${prefix}_ORDER`);
  const terms: Array<{ p: number; q: number; c: number }> = [];
  for (let p = 0; p <= order; p++) {
    for (let q = 0; q <= order - p; q++) {
      const c = numberKey(header, `${prefix}_${p}_${q}`, 0);
      if (c !== 0) {
        terms.push({ p, q, c });
      }
    }
  }
  return terms;
}

function evaluate(poly: Polynomial | null, u: number, v: number): number {
  let sum = 0;
  if (poly) {
    for (const { p, q, c } of poly) {
      sum += c * u ** p * v ** q;
    }
  }
  return sum;
}

/** d/du and d/dv of a polynomial. */
function gradient(poly: Polynomial | null, u: number, v: number): [number, number] {
  let du = 0;
  let dv = 0;
  if (poly) {
    for (const { p, q, c } of poly) {
      if (p > 0) {
        du += c * p * u ** (p - 1) * v ** q;
      }
      if (q > 0) {
        dv += c * q * u ** p * v ** (q - 1);
      }
    }
  }
  return [du, dv];
}

/** sqrt(|det CD|) in arcsec: astropy's sqrt(proj_plane_pixel_area) at the reference pixel. */
export function pixelScaleArcsec(header: FitsHeader): number {
  const [a, b, c, d] = linearMatrix(header);
  return Math.sqrt(Math.abs(a * d - b * c)) * 3600;
}

export class TanSipWcs {
  /** Reads a FITS header; throws WcsError for anything but a celestial TAN(-SIP) WCS. */
  static fromHeader(header: FitsHeader): TanSipWcs {
    const ctype1 = String(header.CTYPE1 ?? '');
    const ctype2 = String(header.CTYPE2 ?? '');
    if (!/^RA---TAN(-SIP)?$/.test(ctype1) || !/^DEC--TAN(-SIP)?$/.test(ctype2)) {
      throw new WcsError(
        `only RA---TAN / DEC--TAN (optionally -SIP) WCS are supported, not ${ctype1} / ${ctype2}`
      );
    }
    return new TanSipWcs(header);
  }

  private constructor(header: FitsHeader) {
    this.crpix = [numberKey(header, 'CRPIX1'), numberKey(header, 'CRPIX2')];
    this.crval = [numberKey(header, 'CRVAL1'), numberKey(header, 'CRVAL2')];
    this.cd = linearMatrix(header);
    const [a, b, c, d] = this.cd;
    const det = a * d - b * c;
    if (det === 0) {
      throw new WcsError('the WCS linear transformation (CD or PC x CDELT) is singular');
    }
    this.cdInverse = [d / det, -b / det, -c / det, a / det];
    // FITS paper II: for zenithal projections LONPOLE defaults to 180 deg unless CRVAL2 is the pole
    const lonpole = numberKey(header, 'LONPOLE', this.crval[1] >= 90 ? 0 : 180);
    this.sinPhiP = Math.sin(lonpole * D2R);
    this.cosPhiP = Math.cos(lonpole * D2R);
    this.sinDecP = Math.sin(this.crval[1] * D2R);
    this.cosDecP = Math.cos(this.crval[1] * D2R);
    this.sipA = sipPolynomial(header, 'A');
    this.sipB = sipPolynomial(header, 'B');
    this.sipAP = sipPolynomial(header, 'AP');
    this.sipBP = sipPolynomial(header, 'BP');
  }

  /** 1-based reference pixel (FITS). */
  readonly crpix: readonly [number, number];
  /** Reference sky position (RA, Dec) in degrees. */
  readonly crval: readonly [number, number];
  /** CD matrix [cd11, cd12, cd21, cd22] in degrees per pixel. */
  readonly cd: readonly [number, number, number, number];
  private readonly cdInverse: readonly [number, number, number, number];
  private readonly sinPhiP: number;
  private readonly cosPhiP: number;
  private readonly sinDecP: number;
  private readonly cosDecP: number;
  private readonly sipA: Polynomial | null;
  private readonly sipB: Polynomial | null;
  private readonly sipAP: Polynomial | null;
  private readonly sipBP: Polynomial | null;

  /** (RA, Dec) in degrees, RA in [0, 360), of the 0-based pixel (x, y). */
  pixelToWorld(x: number, y: number): [number, number] {
    const u = x + 1 - this.crpix[0];
    const v = y + 1 - this.crpix[1];
    const fu = u + evaluate(this.sipA, u, v);
    const fv = v + evaluate(this.sipB, u, v);
    const [a, b, c, d] = this.cd;
    // intermediate world coordinates in radians; the TAN native direction is (-y, x, 1) / norm
    const px = (a * fu + b * fv) * D2R;
    const py = (c * fu + d * fv) * D2R;
    const norm = Math.sqrt(1 + px * px + py * py);
    const cosThetaCosPhi = -py / norm;
    const cosThetaSinPhi = px / norm;
    const sinTheta = 1 / norm;
    // rotate by the native longitude of the celestial pole (LONPOLE): phi - phi_p
    const cc = cosThetaCosPhi * this.cosPhiP + cosThetaSinPhi * this.sinPhiP;
    const cs = cosThetaSinPhi * this.cosPhiP - cosThetaCosPhi * this.sinPhiP;
    const east = -cs;
    const north = sinTheta * this.cosDecP - cc * this.sinDecP;
    const up = sinTheta * this.sinDecP + cc * this.cosDecP;
    const ra = this.crval[0] + Math.atan2(east, north) * R2D;
    const dec = Math.atan2(up, Math.hypot(east, north)) * R2D;
    return [((ra % 360) + 360) % 360, dec];
  }

  /**
   * The 0-based pixel of (RA, Dec) in degrees; NaN for the hemisphere opposite the
   * reference point, where the gnomonic projection does not exist.
   */
  worldToPixel(ra: number, dec: number): [number, number] {
    const dRa = (ra - this.crval[0]) * D2R;
    const sinDec = Math.sin(dec * D2R);
    const cosDec = Math.cos(dec * D2R);
    // native spherical direction: cos(theta) sin/cos(phi - phi_p) and sin(theta)
    const cs = -cosDec * Math.sin(dRa);
    const cc = sinDec * this.cosDecP - cosDec * this.sinDecP * Math.cos(dRa);
    const sinTheta = sinDec * this.sinDecP + cosDec * this.cosDecP * Math.cos(dRa);
    if (!(sinTheta > 0)) {
      return [NaN, NaN];
    }
    const cosThetaCosPhi = cc * this.cosPhiP - cs * this.sinPhiP;
    const cosThetaSinPhi = cs * this.cosPhiP + cc * this.sinPhiP;
    const px = (cosThetaSinPhi / sinTheta) * R2D;
    const py = (-cosThetaCosPhi / sinTheta) * R2D;
    const [a, b, c, d] = this.cdInverse;
    const fu = a * px + b * py;
    const fv = c * px + d * py;
    let u = fu + evaluate(this.sipAP, fu, fv);
    let v = fv + evaluate(this.sipBP, fu, fv);
    if (this.sipA || this.sipB) {
      // Newton on u + A(u, v) = fu, v + B(u, v) = fv
      for (let i = 0; i < 20; i++) {
        const ru = u + evaluate(this.sipA, u, v) - fu;
        const rv = v + evaluate(this.sipB, u, v) - fv;
        const [au, av] = gradient(this.sipA, u, v);
        const [bu, bv] = gradient(this.sipB, u, v);
        const j11 = 1 + au;
        const j22 = 1 + bv;
        const det = j11 * j22 - av * bu;
        const du = (ru * j22 - rv * av) / det;
        const dv = (rv * j11 - ru * bu) / det;
        u -= du;
        v -= dv;
        if (Math.abs(du) + Math.abs(dv) < 1e-12) {
          break;
        }
      }
    }
    return [u + this.crpix[0] - 1, v + this.crpix[1] - 1];
  }

  /**
   * The local pixel scale in arcsec at a 0-based pixel: the square root of the sky area of
   * one pixel there (SIP and projection included), to turn a circle's radius between arcsec
   * and pixels where it is drawn.
   */
  pixelScaleAt(x: number, y: number): number {
    const h = 0.5;
    const dx = sub(this.unitVector(x + h, y), this.unitVector(x - h, y));
    const dy = sub(this.unitVector(x, y + h), this.unitVector(x, y - h));
    const cross = [dx[1] * dy[2] - dx[2] * dy[1], dx[2] * dy[0] - dx[0] * dy[2], dx[0] * dy[1] - dx[1] * dy[0]];
    return (Math.sqrt(Math.hypot(cross[0], cross[1], cross[2])) / (2 * h)) * R2D * 3600;
  }

  private unitVector(x: number, y: number): [number, number, number] {
    const [ra, dec] = this.pixelToWorld(x, y);
    const cosDec = Math.cos(dec * D2R);
    return [cosDec * Math.cos(ra * D2R), cosDec * Math.sin(ra * D2R), Math.sin(dec * D2R)];
  }
}

function sub(p: number[], q: number[]): [number, number, number] {
  return [p[0] - q[0], p[1] - q[1], p[2] - q[2]];
}

/** The 0-based pixel in `to` of the 0-based pixel (x, y) of `from`, through the sky. */
export function mapPixel(from: TanSipWcs, to: TanSipWcs, x: number, y: number): [number, number] {
  const [ra, dec] = from.pixelToWorld(x, y);
  return to.worldToPixel(ra, dec);
}
