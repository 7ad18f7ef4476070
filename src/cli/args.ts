import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A wrong command line: printed with the usage text, exit code 2. */
export class UsageError extends Error {}

/** node:util's parseArgs, with its errors turned into usage errors. */
export function parseFlags<T extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: T) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}
