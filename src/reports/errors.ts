/** @module The error thrown when a test or coverage report cannot be read: malformed, truncated, too large or of the wrong kind. */

/**
 * Thrown by the report parsers when their input is not a usable report. The
 * message names the format and, where known, the line, so it can be shown to
 * the agent as is.
 */
export class ReportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReportError';
  }
}
