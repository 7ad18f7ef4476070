/**
 * Hostile inputs at full size, through the real CLI: a 400 MB graph file,
 * /dev/zero, a FIFO, the module bomb, zip and PNG bombs of a gigabyte,
 * CSV and text files of hundreds of megabytes. Each runs as its own
 * process; the table gives its exit code, wall time, peak resident memory
 * (the CLI process alone, measured by tests/cli/max-rss.mjs) and the line
 * it printed. The cheap cases are tests/cli/hostile-inputs.test.ts.
 * Run: npx tsx bench/hostile-inputs.ts
 */
import { execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync, deflateSync } from 'node:zlib';
import { ihdr, png, pngChunks, pngFromChunks } from '../tests/data/user-file-helpers.ts';
import { moduleBomb, userDataGraph } from '../tests/hostile-documents.ts';
import { measuredCli, type MeasuredRun } from '../tests/cli/measured-cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'gencomposer-hostile-bench-'));
const GB = 1 << 30;
const MB = 1 << 20;

interface ZipEntry {
  name: string;
  /** Bytes as stored: deflated (method 8) or as they are (method 0). */
  data: Uint8Array;
  method: 0 | 8;
  /** The unpacked size the archive claims. */
  claimed: number;
}

/** A zip written field by field, so its directory can say anything. CRCs are left 0: GenComposer does not check them. */
function zipOf(entries: readonly ZipEntry[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(e.method, 8);
    local.writeUInt32LE(e.data.length, 18);
    local.writeUInt32LE(e.claimed, 22);
    local.writeUInt16LE(name.length, 26);
    const record = Buffer.alloc(46);
    record.writeUInt32LE(0x02014b50, 0);
    record.writeUInt16LE(20, 4);
    record.writeUInt16LE(20, 6);
    record.writeUInt16LE(0x800, 8);
    record.writeUInt16LE(e.method, 10);
    record.writeUInt32LE(e.data.length, 20);
    record.writeUInt32LE(e.claimed, 24);
    record.writeUInt16LE(name.length, 28);
    record.writeUInt32LE(offset, 42);
    locals.push(local, name, Buffer.from(e.data.buffer, e.data.byteOffset, e.data.byteLength));
    central.push(record, name);
    offset += 30 + name.length + e.data.length;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const count = Math.min(entries.length, 0xffff);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  if (entries.length < 0xffff) return Buffer.concat([...locals, directory, end]);
  // More entries than 16 bits count: a zip64 end record, and a locator pointing at it.
  const end64 = Buffer.alloc(56);
  end64.writeUInt32LE(0x06064b50, 0);
  end64.writeBigUInt64LE(44n, 4);
  end64.writeUInt16LE(45, 12);
  end64.writeUInt16LE(45, 14);
  end64.writeBigUInt64LE(BigInt(entries.length), 24);
  end64.writeBigUInt64LE(BigInt(entries.length), 32);
  end64.writeBigUInt64LE(BigInt(directory.length), 40);
  end64.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...locals, directory, end64, locator, end]);
}

/** Writes `pattern` `times` times, in pieces of about 16 MB. */
async function writeLarge(path: string, pattern: string, times: number, prefix = '', suffix = ''): Promise<void> {
  const out = createWriteStream(path);
  const perPiece = Math.max(1, Math.floor((16 * MB) / pattern.length));
  out.write(prefix);
  for (let left = times; left > 0; left -= perPiece) {
    if (!out.write(pattern.repeat(Math.min(left, perPiece)))) await new Promise<void>((r) => out.once('drain', () => r()));
  }
  out.end(suffix);
  await new Promise<void>((r) => out.once('finish', () => r()));
}

/** A graph over a Data node reading `file` in its own folder; returns the graph's path. */
function graphFor(name: string, data: Record<string, unknown>): { graph: string; folder: string } {
  const folder = join(dir, name);
  mkdirSync(folder, { recursive: true });
  const graph = join(folder, 'graph.json');
  writeFileSync(graph, JSON.stringify(userDataGraph(data)));
  return { graph, folder };
}

const IMAGES = { dataset: 'images', file: 'pics.zip', height: 28, width: 28 };
const zeros = (size: number) => Buffer.alloc(size);
const train = (graph: string, ...more: string[]) => ['train', graph, '--steps', '1', '--backend', 'cpu', '--out', join(dir, 'runs', String(Math.random())), ...more];

interface Case {
  input: string;
  /** Builds the input; returns the CLI arguments. */
  make(): Promise<string[]> | string[];
}

const CASES: Case[] = [
  {
    input: 'graph file of 400 MB (written out, JSON)',
    make: async () => {
      const file = join(dir, 'big.json');
      await writeLarge(file, 'x', 400 * MB, '{"format": "gencomposer.graph", "pad": "', '"}');
      return ['validate', file];
    },
  },
  { input: 'graph file /dev/zero', make: () => ['validate', '/dev/zero'] },
  {
    input: 'graph file a FIFO nobody writes to',
    make: () => {
      const fifo = join(dir, 'fifo.json');
      execFileSync('mkfifo', [fifo]);
      return ['validate', fifo];
    },
  },
  {
    input: 'graph: 15 modules each placing the next 10 times (train)',
    make: () => {
      const file = join(dir, 'module-bomb.json');
      writeFileSync(file, JSON.stringify(moduleBomb(15, 10)));
      return ['train', file, '--steps', '1', '--backend', 'cpu', '--out', join(dir, 'runs', 'bomb')];
    },
  },
  {
    input: 'graph file with a byte that is not UTF-8',
    make: () => {
      const file = join(dir, 'latin1.json');
      writeFileSync(file, Buffer.concat([Buffer.from('{"format": "gencomposer.graph", "meta": {"name": "caf'), Buffer.from([0xe9]), Buffer.from('"}}')]));
      return ['validate', file];
    },
  },
  {
    input: 'zip: 1 GB entry, directory claims 100 bytes',
    make: () => {
      const { graph, folder } = graphFor('zip-lies', IMAGES);
      writeFileSync(join(folder, 'pics.zip'), zipOf([{ name: 'a.png', data: deflateRawSync(zeros(GB)), method: 8, claimed: 100 }]));
      return train(graph);
    },
  },
  {
    input: 'zip: 1 GB entry, directory says so',
    make: () => {
      const { graph, folder } = graphFor('zip-honest', IMAGES);
      writeFileSync(join(folder, 'pics.zip'), zipOf([{ name: 'a.png', data: deflateRawSync(zeros(GB)), method: 8, claimed: GB }]));
      return train(graph);
    },
  },
  {
    input: 'zip: 200,000 empty entries',
    make: () => {
      const { graph, folder } = graphFor('zip-many', IMAGES);
      const empty = deflateRawSync(Buffer.alloc(0));
      writeFileSync(join(folder, 'pics.zip'), zipOf(Array.from({ length: 200_000 }, (_, i) => ({ name: `${i}.png`, data: empty, method: 8, claimed: 0 }))));
      return train(graph);
    },
  },
  {
    input: 'PNG 28 × 28 whose IDAT inflates to 1 GB',
    make: () => {
      const { graph, folder } = graphFor('png-idat', IMAGES);
      const bomb = pngFromChunks([['IHDR', ihdr(28, 28)], ['IDAT', deflateSync(zeros(GB))], ['IEND', new Uint8Array()]]);
      writeFileSync(join(folder, 'pics.zip'), zipOf([{ name: 'a.png', data: bomb, method: 0, claimed: bomb.length }]));
      return train(graph);
    },
  },
  {
    input: 'PNG 60000 × 60000 (header), Data node 28 × 28',
    make: () => {
      const { graph, folder } = graphFor('png-huge', IMAGES);
      const huge = pngFromChunks([['IHDR', ihdr(60000, 60000)], ['IDAT', deflateSync(zeros(64 * MB))], ['IEND', new Uint8Array()]]);
      writeFileSync(join(folder, 'pics.zip'), zipOf([{ name: 'a.png', data: huge, method: 0, claimed: huge.length }]));
      return train(graph);
    },
  },
  {
    input: 'PNG 28 × 28 with 1 GB iCCP, zTXt, iTXt (decodes; trains)',
    make: () => {
      const { graph, folder } = graphFor('png-meta', IMAGES);
      const [header, ...rest] = pngChunks(png(28, 28, new Array(784).fill(128)));
      const bomb = deflateSync(zeros(GB));
      const text = (keyword: string, extra: number[]) => new Uint8Array(Buffer.concat([Buffer.from(keyword), Buffer.from([0, ...extra]), bomb]));
      const image = pngFromChunks([header!, ['iCCP', text('icc', [0])], ['zTXt', text('Comment', [0])], ['iTXt', text('Comment', [1, 0, 0, 0])], ...rest]);
      const entries = Array.from({ length: 16 }, (_, i) => ({ name: `${i}.png`, data: image, method: 0 as const, claimed: image.length }));
      writeFileSync(join(folder, 'pics.zip'), zipOf(entries));
      return train(graph);
    },
  },
  {
    input: 'CSV: one line of 10^8 fields (200 MB)',
    make: async () => {
      const { graph, folder } = graphFor('csv-wide', { dataset: 'csv', file: 'wide.csv', columns: 2 });
      await writeLarge(join(folder, 'wide.csv'), '1,', 100 * MB);
      return train(graph);
    },
  },
  {
    input: 'CSV: 4,096 columns × 30,000 rows (240 MB)',
    make: async () => {
      const { graph, folder } = graphFor('csv-cells', { dataset: 'csv', file: 'cells.csv', columns: 4096 });
      const row = `${'1,'.repeat(4095)}1\n`;
      await writeLarge(join(folder, 'cells.csv'), row, 30_000);
      return train(graph);
    },
  },
  {
    input: 'CSV of 300 MB (over the file limit)',
    make: async () => {
      const { graph, folder } = graphFor('csv-big', { dataset: 'csv', file: 'big.csv', columns: 2 });
      await writeLarge(join(folder, 'big.csv'), '1,2\n', 75 * MB);
      return train(graph);
    },
  },
  {
    input: 'text: one line of 250 MB',
    make: async () => {
      const { graph, folder } = graphFor('text-line', { dataset: 'text', file: 'long.txt', context: 16 });
      await writeLarge(join(folder, 'long.txt'), 'a', 250 * MB);
      return train(graph);
    },
  },
  {
    input: 'text: 60,000 lines at context 1024 (lines × tokens)',
    make: async () => {
      const { graph, folder } = graphFor('text-tokens', { dataset: 'text', file: 'many.txt', context: 1024 });
      const line = `${'a'.repeat(1000)}\n`;
      await writeLarge(join(folder, 'many.txt'), line, 60_000);
      return train(graph);
    },
  },
  {
    input: 'data file /dev/zero (--data)',
    make: () => {
      const { graph } = graphFor('data-zero', { dataset: 'csv', file: 'rows.csv', columns: 2 });
      return train(graph, '--data', 'rows.csv=/dev/zero');
    },
  },
];

/** The line that says why: the first line of output that is not train's "backend:" note. */
function message(run: MeasuredRun): string {
  if (run.code === 0) return '(not refused: read and trained)';
  const lines = `${run.stderr}\n${run.stdout}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('backend: '));
  // Without the command and the temporary path of the graph file.
  const line = (lines[0] ?? '').replace(/^gencomposer \w+: /, '').replace(/^\S+\.json: (data: )?/, '');
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}

const rows: string[] = [];
for (const c of CASES) {
  const args = await c.make();
  const run = await measuredCli(args, 300_000);
  const rss = run.maxRssMB === undefined ? 'n/a' : run.maxRssMB.toFixed(0);
  const row = `| ${c.input} | ${args[0]} | ${run.code} | ${run.seconds.toFixed(1)} | ${rss} | ${message(run).replace(/\|/g, '\\|')} |`;
  console.error(row);
  rows.push(row);
  rmSync(join(dir, 'runs'), { recursive: true, force: true });
}
rmSync(dir, { recursive: true, force: true });

console.log(`Hostile inputs, ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'})`);
console.log('');
console.log('| input | command | exit | seconds | peak RSS MB | message |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
