import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputFileError, readInputFile } from '../../src/cli/read-file.ts';
import { CliError } from '../../src/cli/setup.ts';

const dir = mkdtempSync(join(tmpdir(), 'gc-read-'));
const linux = process.platform === 'linux';

async function refusal(path: string, maxBytes = 1000): Promise<InputFileError> {
  const error = await readInputFile(path, { maxBytes, what: 'graph file' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(InputFileError);
  expect(error).toBeInstanceOf(CliError);
  expect((error as CliError).exitCode).toBe(2);
  expect((error as Error).message).not.toContain('\n');
  return error as InputFileError;
}

describe('readInputFile', () => {
  it('reads a plain file whole, up to exactly the limit', async () => {
    const file = join(dir, 'ok.json');
    writeFileSync(file, 'x'.repeat(1000));
    expect((await readInputFile(file, { maxBytes: 1000, what: 'graph file' })).byteLength).toBe(1000);
    writeFileSync(join(dir, 'empty'), '');
    expect((await readInputFile(join(dir, 'empty'), { maxBytes: 10, what: 'graph file' })).byteLength).toBe(0);
  });

  it('refuses a file one byte over the limit, naming the file and the limit', async () => {
    const file = join(dir, 'big.json');
    writeFileSync(file, 'x'.repeat(1001));
    expect((await refusal(file)).message).toBe(`${file}: cannot read the graph file: it is 1,001 bytes; the limit is 1,000 bytes`);
  });

  it('names a missing file and a folder', async () => {
    expect((await refusal(join(dir, 'nope.json'))).reason).toBe('no such file');
    expect((await refusal(dir)).reason).toBe('it is a folder, not a regular file');
  });

  it.runIf(linux && existsSync('/dev/zero'))('refuses /dev/zero without reading it', async () => {
    expect((await refusal('/dev/zero')).reason).toBe('it is a character device, not a regular file');
  });

  it.runIf(linux)('refuses a FIFO at once, though nothing writes to it', async () => {
    const fifo = join(dir, 'fifo.json');
    execFileSync('mkfifo', [fifo]);
    // Opening a FIFO for reading blocks until a writer comes: a hang here fails by the test's timeout.
    expect((await refusal(fifo)).reason).toBe('it is a pipe (FIFO), not a regular file');
  });

  it.runIf(linux)('bounds a file that reports size 0 but holds more (/proc)', async () => {
    const bytes = await readInputFile('/proc/self/maps', { maxBytes: 1 << 24, what: 'file' });
    expect(bytes.byteLength).toBeGreaterThan(0);
    expect((await refusal('/proc/self/maps', 10)).reason).toBe('it is over 10 bytes; the limit is 10 bytes');
  });
});
