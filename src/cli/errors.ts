import { printable } from '../core/base/text.ts';

/**
 * A user-facing failure: printed as its message, exit code as given (1: the
 * input has problems, 2: unreadable or unusable). Each line is made
 * printable (no escape sequence or bidi character gets through); names
 * interpolated into a message go through `inert`, so a newline in one
 * cannot start a forged line either. Its own module: every CLI file throws
 * it, and none should have to import setup.ts for it.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2,
  ) {
    super(message.split('\n').map(printable).join('\n'));
  }
}
