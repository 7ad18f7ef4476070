/**
 * Every user error is one line naming the place and the reason, with exit
 * code 1 (the input has problems) or 2 (unreadable input or a wrong command
 * line), and never a stack trace. The inputs live in tests/fixtures/cli-errors/.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, expectNoStackTrace } from './run-cli.ts';

const F = 'tests/fixtures/cli-errors';
const dir = mkdtempSync(join(tmpdir(), 'gencomposer-errors-'));
const aFile = join(dir, 'a-file');
writeFileSync(aFile, 'not a folder');

/** [what, arguments, exit code, what the line says]; `usage` cases print the usage text after their line. */
const CASES: { what: string; args: string[]; code: 1 | 2; says: RegExp; usage?: boolean }[] = [
  { what: 'train, no loss node', args: ['train', `${F}/no-loss.json`, '--backend', 'cpu', '--out', join(dir, 'a')], code: 1, says: /no-loss\.json: the graph has no loss node, so there is nothing to train/ },
  { what: 'bench, no loss node', args: ['bench', `${F}/no-loss.json`, '--backend', 'cpu'], code: 1, says: /no-loss\.json: the graph has no loss node/ },
  { what: 'validate, a sampler with no path', args: ['validate', `${F}/sampler-without-path.json`], code: 1, says: /sampler-without-path\.json: sampler: GC205 Sampler "sampler" cannot sample: its output does not depend on its latent input/ },
  { what: 'train, a sampler with no path', args: ['train', `${F}/sampler-without-path.json`, '--backend', 'cpu', '--out', join(dir, 'b')], code: 1, says: /sampler: GC205/ },
  { what: 'sample, a sampler with no path', args: ['sample', `${F}/sampler-without-path.json`, '--checkpoint', `${F}/corrupt-checkpoint`, '--backend', 'cpu'], code: 1, says: /GC205/ },
  { what: 'train, --out is a file', args: ['train', `${F}/fit.json`, '--out', aFile], code: 2, says: /--out .*a-file: cannot write the run there: a file is in the way/ },
  { what: 'sample, a corrupt checkpoint', args: ['sample', `${F}/fit.json`, '--checkpoint', `${F}/corrupt-checkpoint`, '--backend', 'cpu'], code: 1, says: /checkpoint .*corrupt-checkpoint: model\.json is not valid JSON/ },
  { what: 'train, a corrupt checkpoint', args: ['train', `${F}/fit.json`, '--resume', `${F}/corrupt-checkpoint`, '--out', join(dir, 'c')], code: 1, says: /model\.json is not valid JSON/ },
  { what: 'train, a tampered checkpoint', args: ['train', `${F}/fit.json`, '--resume', `${F}/tampered-checkpoint`, '--backend', 'cpu', '--out', join(dir, 'd')], code: 1, says: /tampered-checkpoint: it was written by another model/ },
  { what: 'train, a missing checkpoint', args: ['train', `${F}/fit.json`, '--resume', join(dir, 'nowhere'), '--out', join(dir, 'e')], code: 2, says: /nowhere\/model\.json: cannot read the checkpoint manifest: no such file/ },
  { what: 'train, a folder as the graph', args: ['train', F, '--out', join(dir, 'f')], code: 2, says: /cli-errors: .*folder/ },
  { what: 'validate, /dev/zero', args: ['validate', '/dev/zero'], code: 2, says: /\/dev\/zero: .*GC009 .*character device/ },
  { what: 'a command named like a prototype property', args: ['constructor'], code: 2, says: /unknown command "constructor"/, usage: true },
  { what: 'train, --steps not a number', args: ['train', `${F}/fit.json`, '--steps', 'many'], code: 2, says: /--steps must be a whole number/, usage: true },
  { what: 'train, --memory-budget not a number', args: ['train', `${F}/fit.json`, '--memory-budget', 'lots'], code: 2, says: /--memory-budget must be a whole number/, usage: true },
];

describe('user errors: one line, exit 1 or 2, no stack trace', () => {
  for (const c of CASES) {
    it(c.what, { timeout: 60_000 }, async () => {
      const result = await cli(...c.args);
      expect(result.code, result.stderr).toBe(c.code);
      const output = result.stdout + result.stderr;
      expectNoStackTrace(output);
      // "backend: ..." says where a run would go; it is not part of the error.
      const first = (c.args[0] === 'validate' ? result.stdout : result.stderr)
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('backend: '));
      if (!c.usage) expect(first, output).toHaveLength(1);
      expect(first[0]).toMatch(c.says);
    });
  }
});
