import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNREADABLE } from '../../src/cli/read-file.ts';
import { validateFile } from '../../src/cli/validate.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const BROKEN = 'tests/fixtures/broken';
const fixtures = readdirSync(BROKEN).filter((f) => f.endsWith('.json')).sort();

describe('validate', () => {
  it('has a fixture for each broken case', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(18);
  });

  for (const file of fixtures) {
    const expected = file.slice(0, 5).toUpperCase();
    it(`${file} gives ${expected}`, async () => {
      const report = await validateFile(join(BROKEN, file));
      expect(report.ok).toBe(false);
      expect(report.diagnostics.map((d) => d.code)).toContain(expected);
      expect(report.unreadable).toBe(UNREADABLE.has(expected));
    });
  }

  it('exits 1 with FILE: NODE.PORT: CODE lines and no stack trace', async () => {
    const { code, stdout, stderr } = await cli('validate', join(BROKEN, 'gc102-missing-input.json'));
    expect(code).toBe(1);
    expect(stdout).toContain(`${join(BROKEN, 'gc102-missing-input.json')}: fc.x: GC102 Input "x" is not connected`);
    expectNoStackTrace(stderr);
  });

  it('exits 2 for an unreadable file, a non-JSON file and a bad flag', async () => {
    expect((await cli('validate', 'no/such/file.json')).code).toBe(2);
    expect((await cli('validate', join(BROKEN, 'gc002-not-json.json'))).code).toBe(2);
    const flag = await cli('validate', '--colour', 'x.json');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toContain("Unknown option '--colour'");
    expectNoStackTrace(flag.stderr);
    expect((await cli('frobnicate')).code).toBe(2);
  });

  it('prints JSON with --json', async () => {
    const { code, stdout } = await cli('validate', '--json', join(BROKEN, 'gc105-cycle.json'));
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.files[0].diagnostics.map((d: { code: string }) => d.code)).toContain('GC105');
  });
});
