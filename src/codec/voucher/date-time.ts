/**
 * yang:date-and-time (RFC 6991 §3, a profile of RFC 3339 §5.6), the type of created-on,
 * expires-on and last-renewal-date:
 *
 *   \d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[\+\-]\d{2}:\d{2})
 *
 * plus the calendar ranges RFC 3339 §5.7 adds (month 01–12, day within the month, hour 00–23,
 * minute 00–59, second 00–60 for a leap second, offset hours 00–23). Values are kept as the text
 * they arrived in, so that a decoded artifact re-encodes byte for byte; these helpers read them.
 */
import type { StackErrorCode } from '../../core/errors.ts';
import { VoucherError } from './voucher-error.ts';

const DATE_AND_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d+)?(Z|([+-])(\d{2}):(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** The instant a date-and-time text denotes, or undefined when the text is not one. */
export function tryParseDateAndTime(text: string): Date | undefined {
  const m = DATE_AND_TIME.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  let offsetMinutes = 0;
  if (m[8] !== 'Z') {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetMinutes = (m[9] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const fraction = m[7] ? Number(`0${m[7]}`) : 0;
  // A leap second (…:60) is read as the first instant of the next minute.
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Math.round(fraction * 1000) - offsetMinutes * 60_000;
  return new Date(ms);
}

export function isDateAndTime(text: unknown): text is string {
  return typeof text === 'string' && tryParseDateAndTime(text) !== undefined;
}

/** The instant of a date-and-time text; VoucherError('date-time') when it is not one. */
export function parseDateAndTime(text: string, leaf = 'date-and-time', code?: StackErrorCode): Date {
  const d = tryParseDateAndTime(text);
  if (!d) {
    throw new VoucherError('date-time', `${leaf} ${JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text)} is not an RFC 3339 date-and-time`, { leaf }, undefined, code);
  }
  return d;
}

/** RFC 3339 text in UTC: `2026-01-02T03:04:05Z`, with milliseconds only when asked. */
export function formatDateAndTime(d: Date, withMilliseconds = false): string {
  if (Number.isNaN(d.getTime())) throw new VoucherError('date-time', 'cannot format an invalid Date');
  const iso = d.toISOString();
  return withMilliseconds ? iso : iso.replace(/\.\d{3}Z$/, 'Z');
}
