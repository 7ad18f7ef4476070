/** `--memory-budget MB`: the most memory a document may ask for on this machine. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMemoryBudget } from '../../src/cli/memory-budget.ts';
import { CliError, loadProgram } from '../../src/cli/setup.ts';
import { validateFile } from '../../src/cli/validate.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const OVER = join('tests/fixtures/broken', 'gc208-memory-budget-over-limit.json');
const GAN = 'graph-presets/gan.json';

describe('--memory-budget', () => {
  it('takes whole megabytes in the range documents may ask for', () => {
    expect(parseMemoryBudget(undefined)).toBeUndefined();
    expect(parseMemoryBudget('512')).toBe(512);
    for (const bad of ['0', '15', '1048577', '1.5', '-5', '1e3', 'lots', '']) expect(() => parseMemoryBudget(bad)).toThrow(/--memory-budget must be a whole number of megabytes/);
  });

  it('validate: a document asking past the limit gets GC208, and GC109 at the limit', async () => {
    const capped = await validateFile(OVER);
    // (GC202: the fixture has no loss node.)
    expect(capped.diagnostics.map((d) => d.code).sort()).toEqual(['GC109', 'GC202', 'GC208']);
    const roomy = await validateFile(OVER, { maxMemoryBudgetMB: 1_048_576 });
    expect(roomy.ok).toBe(true);
    expect(roomy.diagnostics.map((d) => d.code)).toEqual(['GC202']);
    // A limit below what a preset needs refuses it.
    const tight = await validateFile(GAN, { maxMemoryBudgetMB: 16 });
    expect(tight.ok).toBe(false);
    expect(tight.diagnostics.map((d) => d.code)).toEqual(['GC208', 'GC109']);
  });

  it('validate on the command line: the flag raises and lowers the limit; a bad value is a usage error', async () => {
    const capped = await cli('validate', OVER);
    expect(capped.code).toBe(1);
    expect(capped.stdout).toContain(`${OVER}: training.memoryBudgetMB: GC208 (warning) The document asks for a memory budget of 1048576 MB; the limit set here is 4096 MB`);
    const roomy = await cli('validate', '--memory-budget', '1048576', OVER);
    expect(roomy.code).toBe(0);
    expect(roomy.stdout).not.toContain('GC208');
    const tight = await cli('validate', `--memory-budget=16`, GAN);
    expect(tight.code).toBe(1);
    expect(tight.stdout).toContain('GC109');
    const bad = await cli('validate', '--memory-budget', 'lots', GAN);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--memory-budget must be a whole number of megabytes between 16 and 1048576, not "lots"');
    expectNoStackTrace(bad.stderr);
  });

  it('loadProgram (train, sample, bench) compiles under the limit and says why when over it', async () => {
    await expect(loadProgram(GAN)).resolves.toMatchObject({ analysis: { memoryBudgetMB: 4096 } });
    await expect(loadProgram(GAN, { memoryBudgetMB: 1024 })).resolves.toMatchObject({ analysis: { memoryBudgetMB: 1024 } });
    const error = await loadProgram(GAN, { memoryBudgetMB: 16 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CliError);
    const lines = (error as CliError).message.split('\n');
    expect(lines.map((l) => l.split(': ')[2]?.slice(0, 5))).toEqual(['GC208', 'GC109']);
    expect((error as CliError).exitCode).toBe(1);
  });
});
