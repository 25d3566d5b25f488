/**
 * RA/Dec as people type and read them: sexagesimal formatting like astropy's
 * `Angle.to_string(sep=':', pad=True)` and parsing of what the "centre on" box receives
 * ("187.3 12.4", "12:29:12.3 +12:24:00", "12h29m12.3s +12d24m00s", "12 29 12.3 +12 24 00").
 * Conventions as SkyCoord(text, unit=(hourangle, deg)) for sexagesimal RA, degrees for
 * decimal RA.
 */

/** A position on the sky in degrees (ICRS). */
export interface ISkyPosition {
  ra: number;
  dec: number;
}

/** The text looks like a coordinate but is not a valid one (says why). */
export class CoordinateError extends Error {}

/**
 * x.toFixed(digits) rounding exact ties to even, as Python's format() does, so the text the
 * viewer writes is the text astropy and the Python mirror in tests/viewer_fixtures.py write.
 */
export function formatFixed(x: number, digits: number): string {
  const text = x.toFixed(digits);
  const exact = x.toFixed(Math.min(100, digits + 30));
  const rest = exact.slice(exact.length - 30);
  if (/^50*$/.test(rest)) {
    const lastDigit = Number(text[text.length - 1]);
    if (lastDigit % 2 === 1) {
      // toFixed rounded the tie away from zero onto an odd digit: go back one unit
      const step = 10 ** -digits;
      return (x < 0 ? x + step / 2 : x - step / 2).toFixed(digits);
    }
  }
  return text;
}

/** astropy's _decimal_to_sexagesimal_string with pad=True and ':' separators. */
function sexagesimal(value: number, precision: number): { sign: string; text: string; whole: number } {
  const negative = value < 0 || Object.is(value, -0);
  const a = Math.abs(value);
  let whole = Math.trunc(a);
  const minutesAll = (a - whole) * 60;
  let minutes = Math.trunc(minutesAll);
  let seconds = (minutesAll - minutes) * 60;
  if (Number(formatFixed(seconds, precision)) >= 60) {
    seconds = 0;
    minutes += 1;
  }
  if (minutes >= 60) {
    minutes = 0;
    whole += 1;
  }
  let secondsText = formatFixed(seconds, precision);
  if (secondsText.length === 1 || secondsText[1] === '.') {
    secondsText = `0${secondsText}`;
  }
  const mm = String(minutes).padStart(2, '0');
  return { sign: negative ? '-' : '+', text: `${mm}:${secondsText}`, whole };
}

/**
 * RA in hours, "hh:mm:ss.sss" (precision = decimals of the seconds; 3 = 0.015 arcsec).
 * Like astropy except that a value rounding up to 24h is written 00:00:00.
 */
export function formatRA(raDeg: number, precision = 3): string {
  const hours = (((raDeg % 360) + 360) % 360) / 15;
  const { text, whole } = sexagesimal(hours, precision);
  return `${String(whole % 24).padStart(2, '0')}:${text}`;
}

/** Dec in degrees with its sign always, "+dd:mm:ss.ss" (astropy's alwayssign=True). */
export function formatDec(decDeg: number, precision = 2): string {
  const { sign, text, whole } = sexagesimal(decDeg, precision);
  return `${sign}${String(whole).padStart(2, '0')}:${text}`;
}

const NUMBER = String.raw`\d+(?:\.\d*)?|\.\d+`;
const DECIMAL = new RegExp(String.raw`^([+-]?)(${NUMBER})(?:e([+-]?\d+))?([dh°]?)$`, 'i');
const COLON = new RegExp(String.raw`^([+-]?)(\d+):(\d+(?:\.\d*)?)(?::(${NUMBER}))?$`);
const LETTERS = new RegExp(String.raw`^([+-]?)(\d+)([hd°])(?:(\d+(?:\.\d*)?)[m'](?:(${NUMBER})[s"]?)?)?$`, 'i');

/** An angle token: its value and unit (null: not written, e.g. "12:29:12.3" or "187.3"). */
interface IAngleToken {
  value: number;
  unit: 'deg' | 'hour' | null;
  sexagesimal: boolean;
}

/** One angle token, or null if it is not an angle at all. */
function angle(token: string): IAngleToken | null {
  const decimal = DECIMAL.exec(token);
  if (decimal) {
    const [, sign, digits, exponent, suffix] = decimal;
    const value = Number(exponent === undefined ? digits : `${digits}e${exponent}`);
    const unit = suffix === '' ? null : suffix.toLowerCase() === 'h' ? 'hour' : 'deg';
    return { value: sign === '-' ? -value : value, unit, sexagesimal: false };
  }
  let parts: [string, string, string, string | undefined];
  let unit: IAngleToken['unit'] = null;
  const colon = COLON.exec(token);
  const letters = colon ? null : LETTERS.exec(token);
  if (colon) {
    parts = [colon[1], colon[2], colon[3], colon[4]];
  } else if (letters) {
    parts = [letters[1], letters[2], letters[4] ?? '0', letters[5]];
    unit = letters[3].toLowerCase() === 'h' ? 'hour' : 'deg';
  } else {
    return null;
  }
  const [sign, whole, minutesText, secondsText] = parts;
  const minutes = Number(minutesText);
  const seconds = secondsText === undefined ? 0 : Number(secondsText);
  if (minutes >= 60 || seconds >= 60) {
    throw new CoordinateError(`minutes and seconds must be below 60 in '${token}'`);
  }
  const value = Number(whole) + minutes / 60 + seconds / 3600;
  return { value: sign === '-' ? -value : value, unit, sexagesimal: true };
}

/**
 * Reads "RA Dec" (space or comma between them) and returns degrees; null when the text is not
 * a coordinate (a name for the resolver); CoordinateError when it is one but is invalid.
 * Sexagesimal RA is in hours ("12:29:12.3", "12h29m12.3s") unless written in degrees
 * ("187d17m40s"); decimal RA is in degrees unless it ends in 'h'; Dec is always in degrees.
 */
export function parseCoordinate(text: string): ISkyPosition | null {
  let tokens = text.trim().split(/[\s,]+/).filter(t => t.length > 0);
  if (tokens.length === 6 && tokens.every(t => /^[+-]?[\d.]+$/.test(t))) {
    tokens = [tokens.slice(0, 3).join(':'), tokens.slice(3).join(':')];
  }
  if (tokens.length !== 2) {
    return null;
  }
  const ra = angle(tokens[0]);
  const dec = angle(tokens[1]);
  if (!ra || !dec) {
    return null;
  }
  const raHours = ra.unit === 'hour' || (ra.unit === null && ra.sexagesimal);
  const raDeg = raHours ? ra.value * 15 : ra.value;
  if (dec.unit === 'hour') {
    throw new CoordinateError(`the declination '${tokens[1]}' must be in degrees, not hours`);
  }
  if (!(raDeg >= 0 && raDeg <= 360)) {
    throw new CoordinateError(`the right ascension '${tokens[0]}' must be within 0..24h or 0..360 deg`);
  }
  if (!(Math.abs(dec.value) <= 90)) {
    throw new CoordinateError(`the declination '${tokens[1]}' must be within -90..+90 deg`);
  }
  return { ra: raDeg % 360, dec: dec.value };
}
