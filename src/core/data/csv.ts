/**
 * CSV tables of the user's own: comma-separated, one row per line, fields
 * optionally in double quotes ("" inside quotes is a quote), blank lines
 * skipped, CRLF or LF. Every row holds `columns` numbers, plus one class
 * label in the first or last column when the Data node asks for labels.
 * Numbers are plain decimals (`-1.5`, `2e-3`); an empty, non-numeric or
 * non-finite cell is an error naming its line and column.
 *
 * x is float32 [B, columns] as written in the file (no scaling); y is the
 * label's index among the sorted distinct labels (in numeric order when
 * every label is a number, so labels 0..9 stay 0..9).
 */
import type { DataParams } from './datasets.ts';
import { utf8Problem } from '../base/utf8.ts';
import { UserDataError } from './user-file.ts';
import { formatBytes, USER_DATA_LIMITS } from './user-limits.ts';

type CsvParams = Pick<DataParams, 'columns' | 'header' | 'labels'>;

export interface CsvTable {
  rows: number;
  columns: number;
  /** Row-major, rows · columns. */
  values: Float32Array;
  /** The header's names of the numeric columns, when the file has a header row. */
  columnNames?: string[];
  /** With labels: each row's class index, and the classes in index order. */
  labels?: Int32Array;
  classes?: string[];
}

interface CsvRecord {
  line: number;
  cells: string[];
}

/** The most columns a Data node declares, plus a label column. */
const MAX_FIELDS = 4097;
const QUOTE = 0x22;
const COMMA = 0x2c;
const LF = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8');
/** What String.prototype.trim removes among ASCII bytes. */
const ASCII_SPACE = new Set([0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x20]);
/** A counted (not decoded) field that is not blank. */
const COUNTED = '\u0000';

/**
 * Walks CSV bytes record by record, skipping blank lines; quotes may span
 * lines. Each record's cells go to `onRecord` and are not kept: a file of
 * 256 MB is never one string, nor a list of all its cells. Syntax is ASCII,
 * so the bytes are scanned as they are and only each field is decoded (a
 * file that is not UTF-8 is an error naming the byte offset). Records after
 * the first `decoded` are only counted: their cells are '' when blank and
 * COUNTED otherwise, which is all that counting rows and fields needs.
 */
export function scanCsv(bytes: Uint8Array, fileName: string, onRecord: (record: CsvRecord) => void, decoded = Infinity): void {
  const maxCell = USER_DATA_LIMITS.cellLength;
  const cell = new Uint8Array(maxCell);
  let cellLength = 0;
  let cellAscii = true;
  let cells: string[] = [];
  let records = 0;
  let quoted = false;
  let cellWasQuoted = false;
  let cellWasQuotedInRecord = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  const where = () => `${fileName} line ${line}, column ${cells.length + 1}`;
  const push = (b: number) => {
    if (cellLength >= maxCell) throw new UserDataError(`${where()}: a field longer than ${maxCell.toLocaleString('en-US')} bytes, the limit`);
    cell[cellLength++] = b;
    if (b >= 0x80) cellAscii = false;
  };
  const endCell = () => {
    if (cells.length >= MAX_FIELDS) throw new UserDataError(`${fileName} line ${recordLine} has more than ${MAX_FIELDS} fields, the limit`);
    let text: string;
    if (records >= decoded && cellAscii) text = cellWasQuoted || cell.subarray(0, cellLength).some((b) => !ASCII_SPACE.has(b)) ? COUNTED : '';
    else if (cellAscii) text = String.fromCharCode.apply(null, cell.subarray(0, cellLength) as unknown as number[]);
    else text = utf8.decode(cell.subarray(0, cellLength));
    cells.push(cellWasQuoted ? text : text.trim());
    cellLength = 0;
    cellAscii = true;
    cellWasQuoted = false;
  };
  const endRecord = () => {
    endCell();
    const blank = cells.length === 1 && cells[0] === '' && !cellWasQuotedInRecord;
    if (!blank) {
      if (records >= USER_DATA_LIMITS.rows + 1) throw new UserDataError(`${fileName} has more than ${USER_DATA_LIMITS.rows.toLocaleString('en-US')} rows, the limit`);
      records++;
      onRecord({ line: recordLine, cells });
    }
    cells = [];
    cellWasQuotedInRecord = false;
  };
  // Checked whole first, so a file that is not UTF-8 is refused as that, wherever the bad byte is.
  const problem = utf8Problem(bytes);
  if (problem) throw new UserDataError(`${fileName} is not UTF-8 text: ${problem.reason}, at byte offset ${problem.offset}`);
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  for (; i < bytes.length; i++) {
    const c = bytes[i]!;
    if (quoted) {
      if (c === QUOTE) {
        if (bytes[i + 1] === QUOTE) {
          push(QUOTE);
          i++;
        } else quoted = false;
      } else {
        if (c === LF) line++;
        push(c);
      }
      continue;
    }
    if (c === QUOTE) {
      if (cell.subarray(0, cellLength).some((b) => b !== 0x20 && b !== 0x09)) throw new UserDataError(`${where()}: a quote inside an unquoted field; put the whole field in quotes`);
      quoted = true;
      cellWasQuoted = true;
      cellWasQuotedInRecord = true;
      quoteLine = line;
      cellLength = 0;
    } else if (c === COMMA) {
      endCell();
    } else if (c === LF || c === CR) {
      if (c === CR && bytes[i + 1] === LF) i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (cellWasQuoted) {
      if (c !== 0x20 && c !== 0x09) throw new UserDataError(`${where()}: text after a closing quote`);
    } else {
      push(c);
    }
  }
  if (quoted) throw new UserDataError(`${fileName} line ${quoteLine}, column ${cells.length + 1}: a quote is opened and never closed`);
  endRecord();
}

/** All records of a CSV text or file, for inspecting small files. */
export function csvRecords(text: string | Uint8Array, fileName: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  scanCsv(typeof text === 'string' ? new TextEncoder().encode(text) : text, fileName, (r) => records.push(r));
  return records;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A cell as a number, or undefined when it is not a plain finite decimal. */
export function parseCell(cell: string): number | undefined {
  if (!NUMBER.test(cell)) return undefined;
  const value = Number(cell);
  return Number.isFinite(value) ? value : undefined;
}

/** Sorted class names: numerically when every one is a number, else by code point. */
export function sortClasses(names: Iterable<string>): string[] {
  const list = [...new Set(names)];
  const numeric = list.every((n) => parseCell(n) !== undefined);
  return numeric ? list.sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0)) : list.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

function describeLayout(p: CsvParams): string {
  const labels = p.labels === 'first-column' ? ' plus a label in the first column' : p.labels === 'last-column' ? ' plus a label in the last column' : '';
  return `${p.columns} number${p.columns === 1 ? '' : 's'}${labels}`;
}

export function parseCsv(bytes: Uint8Array, fileName: string, params: CsvParams): CsvTable {
  if (bytes.length > USER_DATA_LIMITS.fileBytes) throw new UserDataError(`${fileName} is ${formatBytes(bytes.length)}; the limit is ${formatBytes(USER_DATA_LIMITS.fileBytes)}`);
  const { columns, labels } = params;
  const width = columns + (labels === 'none' ? 0 : 1);
  const labelAt = labels === 'first-column' ? 0 : labels === 'last-column' ? width - 1 : -1;
  const firstNumeric = labelAt === 0 ? 1 : 0;
  const numericCells = (r: CsvRecord) => r.cells.slice(firstNumeric, firstNumeric + columns);
  const maxRows = Math.min(USER_DATA_LIMITS.rows, Math.floor(USER_DATA_LIMITS.cells / columns));

  // First the rows are counted and the layout checked, decoding only the first row (a header or not),
  // so a file over the limits is refused before any array is built for it.
  let hasHeader: boolean | undefined;
  let rows = 0;
  scanCsv(
    bytes,
    fileName,
    (r) => {
      if (r.cells.length !== width) {
        throw new UserDataError(`${fileName} line ${r.line} has ${r.cells.length} field${r.cells.length === 1 ? '' : 's'}; the Data node declares ${describeLayout(params)}, so ${width} per row (set columns to match the file)`);
      }
      if (hasHeader === undefined) {
        hasHeader = params.header === 'yes' || (params.header === 'auto' && numericCells(r).some((c) => parseCell(c) === undefined));
        if (hasHeader) return;
      }
      if (rows >= maxRows) {
        throw new UserDataError(
          rows >= USER_DATA_LIMITS.rows
            ? `${fileName} has more than ${USER_DATA_LIMITS.rows.toLocaleString('en-US')} rows, the limit`
            : `${fileName} has more than ${maxRows.toLocaleString('en-US')} rows of ${columns} numbers: more than ${USER_DATA_LIMITS.cells.toLocaleString('en-US')} numbers (rows × columns), the limit`,
        );
      }
      rows++;
    },
    1,
  );
  if (rows === 0) throw new UserDataError(`${fileName} has no rows of data`);

  // Then the numbers go straight into an array of the counted size, labels into indices: no row is kept as strings.
  const values = new Float32Array(rows * columns);
  const labelIds = new Int32Array(labelAt >= 0 ? rows : 0);
  const labelIndex = new Map<string, number>();
  let columnNames: string[] | undefined;
  let row = 0;
  scanCsv(bytes, fileName, (r) => {
    if (hasHeader && columnNames === undefined) {
      columnNames = numericCells(r);
      return;
    }
    for (let j = 0; j < columns; j++) {
      const cell = r.cells[firstNumeric + j]!;
      const value = parseCell(cell);
      if (value === undefined) {
        const what = cell === '' ? 'is empty' : `"${cell.length > 40 ? `${cell.slice(0, 40)}…` : cell}" is not a number`;
        throw new UserDataError(`${fileName} line ${r.line}, column ${firstNumeric + j + 1}: ${what}`);
      }
      values[row * columns + j] = value;
    }
    if (labelAt >= 0) {
      const label = r.cells[labelAt]!;
      if (label === '') throw new UserDataError(`${fileName} line ${r.line}, column ${labelAt + 1}: the label is empty`);
      let id = labelIndex.get(label);
      if (id === undefined) {
        if (labelIndex.size >= USER_DATA_LIMITS.classes) throw new UserDataError(`${fileName} has more than ${USER_DATA_LIMITS.classes} distinct labels, the limit`);
        labelIndex.set(label, (id = labelIndex.size));
      }
      labelIds[row] = id;
    }
    row++;
  });

  const table: CsvTable = { rows, columns, values };
  if (columnNames) table.columnNames = columnNames;
  if (labelAt >= 0) {
    const classes = sortClasses(labelIndex.keys());
    // First-seen ids to indices among the sorted classes.
    const order = new Int32Array(labelIndex.size);
    classes.forEach((name, i) => (order[labelIndex.get(name)!] = i));
    table.labels = labelIds.map((id) => order[id]!);
    table.classes = classes;
  }
  return table;
}
