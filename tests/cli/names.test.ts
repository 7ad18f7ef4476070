/**
 * Strings from documents and file names are printed inert by the CLI: a
 * newline, carriage return, ANSI escape or bidi override in a node kind, a
 * label, a key, a name or a file name cannot add a line, clear the screen or
 * reorder what is printed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/cli/validate.ts';
import { CliError } from '../../src/cli/setup.ts';
import { parseDataFlags } from '../../src/cli/user-files.ts';
import { diagnostic } from '../../src/core/base/diagnostics.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const EVIL = '\x1b[2J\x1b[31m\nFILE.json: ok\r\u202e';
const RAW = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** A document whose kind, label, keys and names carry EVIL. */
function evilDocument(): string {
  return JSON.stringify({
    format: 'gencomposer.graph',
    version: 3,
    meta: { name: `name ${EVIL}` },
    nodes: [
      { id: 'z', kind: 'Noise', label: `label ${EVIL}`, params: { shape: [4] }, position: { x: 0, y: 0 } },
      { id: 'q', kind: `Kind ${EVIL}`, params: {}, position: { x: 0, y: 0 } },
      { id: 'fc', kind: 'Dense', params: { units: 3, [`key ${EVIL}`]: 1 }, position: { x: 0, y: 0 } },
      { id: 'rec', kind: 'ReconstructionLoss', params: { loss: 'mse', objective: 'main' }, position: { x: 0, y: 0 } },
    ],
    edges: [
      { id: 'e1', source: { node: 'z', port: 'z' }, target: { node: 'fc', port: 'x' } },
      { id: 'e2', source: { node: 'fc', port: 'y' }, target: { node: 'rec', port: 'prediction' } },
      { id: 'e3', source: { node: 'z', port: 'z' }, target: { node: 'rec', port: 'target' } },
    ],
  });
}

const folder = () => mkdtempSync(join(tmpdir(), 'gc-names-'));

describe('printing names from documents and files', () => {
  it('validate prints one line per diagnostic, with no raw control or bidi character', async () => {
    const dir = folder();
    const file = join(dir, 'evil.json');
    writeFileSync(file, evilDocument());
    const { code, stdout, stderr } = await cli('validate', file);
    expect(code).toBe(1);
    expectNoStackTrace(stderr);
    const lines = stdout.trimEnd().split('\n');
    // GC101 on q, GC107 on fc (the unknown key), GC202 (no loss is reached): one line each.
    expect(lines.map((l) => l.split(': ')[2]?.slice(0, 5))).toEqual(['GC101', 'GC107', 'GC202']);
    for (const line of lines) expect(line.startsWith(`${file}: `)).toBe(true);
    expect(stdout).not.toMatch(RAW);
    expect(stdout).not.toContain('\r');
    expect(lines[0]).toContain('Unknown node kind "Kind \\x1b[2J\\x1b[31m\\nFILE.json: ok\\r\\u202e"');
  });

  it('a file name with a newline and an escape is one line, escaped, wherever it is printed', async () => {
    const dir = folder();
    const file = join(dir, 'a\nb\x1b[2J.json');
    writeFileSync(file, evilDocument().replace(`"Kind ${JSON.stringify(EVIL).slice(1, -1)}"`, '"Noise"'));
    const shown = join(dir, 'a\\nb\\x1b[2J.json');
    const { stdout } = await cli('validate', file, join(dir, 'missing\n.json'));
    expect(stdout).not.toMatch(RAW);
    const lines = stdout.trimEnd().split('\n');
    expect(lines.every((l) => l.startsWith(shown) || l.startsWith(join(dir, 'missing\\n.json')))).toBe(true);
    expect(lines.some((l) => l.startsWith(`${join(dir, 'missing\\n.json')}: (graph): GC009`))).toBe(true);
    const json = await cli('validate', '--json', file);
    expect(json.stdout).not.toMatch(RAW);
    expect(JSON.parse(json.stdout).files[0].file).toBe(file);
  });

  it('a file that is not JSON cannot smuggle its bytes out through the parser message', async () => {
    const dir = folder();
    const file = join(dir, 'bytes.json');
    writeFileSync(file, `{"a": 1,\x1b[2J\u202e\n}`);
    const { code, stdout } = await cli('validate', file);
    expect(code).toBe(2);
    expect(stdout.trimEnd().split('\n')).toHaveLength(1);
    expect(stdout).not.toMatch(RAW);
  });

  it('the formatter and CliError make any message one inert line per intended line', () => {
    const d = diagnostic('GC101', { kind: EVIL }, { node: 'n', port: `p${EVIL}`, path: `x${EVIL}` });
    const line = formatDiagnostic(`f${EVIL}`, d);
    expect(line.split('\n')).toHaveLength(1);
    expect(line).not.toMatch(RAW);
    expect(d.message).toBe('Unknown node kind "\\x1b[2J\\x1b[31m\\nFILE.json: ok\\r\\u202e".');
    const error = new CliError(`first ${'\x1b[2J'}\nsecond \u202e`, 1);
    expect(error.message).toBe('first \\x1b[2J\nsecond \\u202e');
    expect(() => parseDataFlags(['\x1b[2J\nx'])).toThrow('not "\\x1b[2J\\nx"');
  });

  it('train: the name of a file that cannot be read is printed escaped', async () => {
    const { code, stderr } = await cli('train', 'no\nsuch\x1b[2J.json');
    expect(code).toBe(2);
    expect(stderr).not.toMatch(RAW);
    expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  });
});
