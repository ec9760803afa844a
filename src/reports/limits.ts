/** @module Size limits shared by the report parsers, checked before any parsing starts. */
import { ReportError } from './errors.ts';

/** The largest report the parsers accept: 50 MiB of UTF-8. */
export const MAX_REPORT_BYTES = 50 * 1024 * 1024;

/** UTF-8 length of a string, counted without encoding it. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Throws a `ReportError` when `text` is larger than `MAX_REPORT_BYTES` of UTF-8. */
export function assertReportSize(text: string, kind: string): void {
  // UTF-8 takes at least one and at most three bytes per UTF-16 code unit.
  if (text.length * 3 <= MAX_REPORT_BYTES) return;
  const bytes = text.length > MAX_REPORT_BYTES ? text.length : utf8Length(text);
  if (bytes > MAX_REPORT_BYTES) {
    throw new ReportError(
      `${kind} is too large: at least ${bytes} bytes, the limit is ${MAX_REPORT_BYTES} bytes (50 MiB)`,
    );
  }
}
