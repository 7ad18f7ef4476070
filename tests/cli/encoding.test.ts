/**
 * The CLI and the app read a graph file's bytes the same way: a UTF-8 BOM
 * is accepted by both, bytes that are not UTF-8 are refused by both at the
 * same byte offset.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateFile } from '../../src/cli/validate.ts';
import { readGraphFile as openInApp } from '../../src/ui/sharing/open-file.ts';
import { cli, expectNoStackTrace } from './run-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gc-encoding-'));
const preset = readFileSync('graph-presets/gan-2d.json');
const at = preset.indexOf('"name"');
const bytes = (...parts: (Uint8Array | number[])[]) => Buffer.concat(parts.map((p) => Uint8Array.from(p)));

const CASES: { name: string; content: Uint8Array; offset?: number }[] = [
  { name: 'plain.json', content: preset },
  { name: 'bom.json', content: bytes([0xef, 0xbb, 0xbf], preset) },
  { name: 'latin1.json', content: bytes(preset.subarray(0, at), [0xe9], preset.subarray(at)), offset: at },
  { name: 'bom-surrogate.json', content: bytes([0xef, 0xbb, 0xbf], preset.subarray(0, at), [0xed, 0xa0, 0x80], preset.subarray(at)), offset: at + 3 },
  { name: 'cut.json', content: bytes(preset, [0xf0, 0x9f]), offset: preset.length },
];
for (const c of CASES) writeFileSync(join(dir, c.name), c.content);

const offsetOf = (message: string) => Number(/at byte offset (\d+)\./.exec(message)?.[1]);

describe('CLI and app agree on encodings', () => {
  for (const c of CASES) {
    it(`${c.name}: ${c.offset === undefined ? 'both open it' : `both refuse it at byte offset ${c.offset}`}`, async () => {
      const report = await validateFile(join(dir, c.name));
      const app = await openInApp(new File([c.content as BlobPart], c.name));
      if (c.offset === undefined) {
        expect(report.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(app.ok).toBe(true);
        return;
      }
      expect(report.unreadable).toBe(true);
      expect(report.diagnostics.map((d) => d.code)).toEqual(['GC010']);
      expect(offsetOf(report.diagnostics[0]!.message)).toBe(c.offset);
      expect(app.ok).toBe(false);
      if (app.ok) return;
      expect(app.error.code).toBe('bad-encoding');
      expect(app.error.message).toContain(report.diagnostics[0]!.message);
    });
  }

  it('validate and train refuse a file that is not UTF-8 with exit 2, naming the offset, and accept a BOM', async () => {
    const bad = join(dir, 'latin1.json');
    const validate = await cli('validate', bad);
    expect(validate.code).toBe(2);
    expect(validate.stdout.trim()).toBe(`${bad}: (graph): GC010 ${(await validateFile(bad)).diagnostics[0]!.message}`);
    const train = await cli('train', bad, '--steps', '1', '--out', join(dir, 'run'));
    expect(train.code).toBe(2);
    expect(train.stderr).toContain(`GC010 The file is not valid UTF-8: 0xE9 followed by 0x22 is an incomplete sequence`);
    expect(offsetOf(train.stderr)).toBe(at);
    expectNoStackTrace(train.stderr);
    expect((await cli('validate', join(dir, 'bom.json'))).code).toBe(0);
  });
});
