/** How the CLI prints a diagnostic (a leaf module: setup, validate and the commands all use it). */
import { printable } from '../core/base/text.ts';
import type { Diagnostic } from '../core/base/diagnostics.ts';

/**
 * `FILE: NODE[.PORT]: CODE message`, with `module:` before nodes inside
 * modules: always one line, whatever the file name, path or message holds.
 */
export function formatDiagnostic(file: string, d: Diagnostic): string {
  const where = d.node !== undefined ? `${d.module ? `${d.module}:` : ''}${d.node}${d.port ? `.${d.port}` : ''}` : (d.path ?? d.module ?? '(graph)');
  return printable(`${file}: ${where}: ${d.code}${d.severity === 'warning' ? ' (warning)' : ''} ${d.message}`);
}
