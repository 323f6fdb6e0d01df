/**
 * TAI instants, the time scale of every Rubin header date (DATE-OBS, DATE-BEG, DATE-END, MJD-*, GROUPID).
 *
 * A `Tai` holds whole milliseconds of TAI counted from the calendar label 1970-01-01T00:00:00 TAI. TAI has no leap
 * seconds, so calendar arithmetic on that count (done with the proleptic Gregorian functions of `Date` in UTC
 * mode, used here only as a calendar) is exact. Milliseconds are the resolution of the ISO strings the camera
 * writes, which keeps every header date and MJD derived from one exact integer.
 *
 * UTC enters only where the real world needs it (sidereal time, wall clocks): TAI - UTC = 37 s, constant since the
 * leap second of 2016-12-31. No leap second has been scheduled since, so conversions are refused before 2017.
 */
import { DaqsimError } from './errors.js';

/** TAI - UTC in seconds, valid from 2017-01-01T00:00:00 UTC on (IERS Bulletin C; no later leap second). */
export const TAI_MINUS_UTC_SECONDS = 37;

const MS_PER_DAY = 86_400_000;
/** MJD of the calendar date 1970-01-01. */
const MJD_AT_1970 = 40587;
/** First UTC instant for which TAI - UTC = 37 s. */
const UTC_VALID_FROM_MS = Date.UTC(2017, 0, 1);

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

export class Tai {
  /** Whole milliseconds since 1970-01-01T00:00:00 TAI. */
  readonly ms: number;

  private constructor(ms: number) {
    if (!Number.isSafeInteger(ms)) throw new DaqsimError('BAD_TIME', `not a whole number of milliseconds: ${ms}`, { ms });
    // Years 1000-9999 keep ISO strings four digits wide.
    if (ms < Date.UTC(1000, 0, 1) || ms >= Date.UTC(10000, 0, 1)) {
      throw new DaqsimError('BAD_TIME', 'date outside the years 1000-9999', { ms });
    }
    this.ms = ms;
  }

  /** From milliseconds since 1970-01-01T00:00:00 TAI (rounded to the millisecond). */
  static fromMs(ms: number): Tai {
    return new Tai(Math.round(ms));
  }

  /**
   * Parse `YYYY-MM-DDThh:mm:ss[.fff]` read as TAI. A trailing `Z` or offset is refused: astro_metadata_translator
   * cannot parse it, and it would claim UTC. Fractions beyond milliseconds are rounded.
   */
  static fromIso(iso: string): Tai {
    const m = ISO_RE.exec(iso);
    if (!m) throw new DaqsimError('BAD_TIME', `not an ISO TAI date (YYYY-MM-DDThh:mm:ss[.sss], no Z): ${JSON.stringify(iso)}`, { iso });
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
    const frac = m[7] !== undefined ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
    const ms = Date.UTC(y, mo - 1, d, h, mi, s) + frac;
    const back = new Date(ms - frac);
    // Date.UTC silently rolls 2025-02-30 over to March; a round trip catches it.
    if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) {
      throw new DaqsimError('BAD_TIME', `invalid calendar date or time: ${iso}`, { iso });
    }
    return new Tai(ms);
  }

  /** From a Modified Julian Date in TAI (rounded to the millisecond). */
  static fromMjd(mjd: number): Tai {
    if (!Number.isFinite(mjd)) throw new DaqsimError('BAD_TIME', `bad MJD ${mjd}`, { mjd });
    return new Tai(Math.round((mjd - MJD_AT_1970) * MS_PER_DAY));
  }

  /** From a UTC wall-clock instant (a JavaScript Date), adding TAI - UTC. */
  static fromUtc(date: Date): Tai {
    const utc = date.getTime();
    if (!(utc >= UTC_VALID_FROM_MS)) {
      throw new DaqsimError('BAD_TIME', 'UTC conversion is only defined from 2017-01-01 (TAI - UTC = 37 s)', { utc });
    }
    return new Tai(utc + TAI_MINUS_UTC_SECONDS * 1000);
  }

  /** The current time. */
  static now(): Tai {
    return Tai.fromUtc(new Date());
  }

  /** This instant as a UTC Date (subtracting TAI - UTC). */
  toUtc(): Date {
    const utc = this.ms - TAI_MINUS_UTC_SECONDS * 1000;
    if (utc < UTC_VALID_FROM_MS) throw new DaqsimError('BAD_TIME', 'UTC conversion is only defined from 2017-01-01', { ms: this.ms });
    return new Date(utc);
  }

  /** A later (or, for negative values, earlier) instant; seconds are rounded to the millisecond. */
  plus(seconds: number): Tai {
    if (!Number.isFinite(seconds)) throw new DaqsimError('BAD_TIME', `bad time offset ${seconds}`, { seconds });
    return new Tai(this.ms + Math.round(seconds * 1000));
  }

  /** this - other, in seconds. */
  minus(other: Tai): number {
    return (this.ms - other.ms) / 1000;
  }

  /** Modified Julian Date in TAI. */
  get mjd(): number {
    return this.ms / MS_PER_DAY + MJD_AT_1970;
  }

  /** `YYYY-MM-DDThh:mm:ss.sss`, TAI, no zone suffix (the form Rubin headers carry). */
  toIso(): string {
    const d = new Date(this.ms);
    return (
      `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}` +
      `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(d.getUTCMilliseconds(), 3)}`
    );
  }

  /** Calendar date of this TAI instant as the integer YYYYMMDD. */
  dateInt(): number {
    const d = new Date(this.ms);
    return d.getUTCFullYear() * 10000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
  }

  equals(other: Tai): boolean {
    return this.ms === other.ms;
  }

  toString(): string {
    return this.toIso();
  }
}
