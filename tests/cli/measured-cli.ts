/** Runs the real `gencomposer` bin and measures it: exit code, output, seconds and peak resident memory. */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface MeasuredRun {
  code: number;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Peak resident memory of the CLI process, in MB (undefined where the platform does not report it). */
  maxRssMB: number | undefined;
}

const PRELOAD = pathToFileURL(resolve('tests/cli/max-rss.mjs')).href;
const BIN = resolve('bin/gencomposer.js');

export function measuredCli(args: readonly string[], timeoutMs = 120_000): Promise<MeasuredRun> {
  const dir = mkdtempSync(join(tmpdir(), 'gencomposer-rss-'));
  const rssFile = join(dir, 'max-rss');
  const start = performance.now();
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', PRELOAD, BIN, ...args],
      { maxBuffer: 1 << 24, timeout: timeoutMs, env: { ...process.env, GENCOMPOSER_MAX_RSS_FILE: rssFile } },
      (error, stdout, stderr) => {
        const seconds = (performance.now() - start) / 1000;
        let maxRssMB: number | undefined;
        try {
          maxRssMB = Number(readFileSync(rssFile, 'utf8')) / 1024;
        } catch {
          maxRssMB = undefined;
        }
        rmSync(dir, { recursive: true, force: true });
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        done({ code, stdout, stderr, seconds, maxRssMB });
      },
    );
  });
}

/** The first line a refused run printed (stderr, else stdout). */
export function firstLine(run: MeasuredRun): string {
  return (run.stderr.trim() || run.stdout.trim()).split('\n')[0] ?? '';
}
