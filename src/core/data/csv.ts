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
import type { DataParams } from './params.ts';
import { decodeUtf8, UserDataError } from './user-file.ts';
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

/** Splits CSV text into records (lines of fields), skipping blank lines; quotes may span lines. */
export function csvRecords(text: string, fileName: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let cellWasQuoted = false;
  let line = 1;
  let recordLine = 1;
  let quoteLine = 1;
  let cellWasQuotedInRecord = false;
  const endCell = () => {
    if (cells.length >= MAX_FIELDS) throw new UserDataError(`${fileName} line ${recordLine} has more than ${MAX_FIELDS} fields, the limit`);
    cells.push(cellWasQuoted ? cell : cell.trim());
    cell = '';
    cellWasQuoted = false;
  };
  const endRecord = () => {
    endCell();
    const blank = cells.length === 1 && cells[0] === '' && !cellWasQuotedInRecord;
    if (!blank) {
      if (records.length >= USER_DATA_LIMITS.rows + 1) throw new UserDataError(`${fileName} has more than ${USER_DATA_LIMITS.rows.toLocaleString('en-US')} rows, the limit`);
      records.push({ line: recordLine, cells });
    }
    cells = [];
    cellWasQuotedInRecord = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"') {
      if (cell.trim() !== '') throw new UserDataError(`${fileName} line ${line}, column ${cells.length + 1}: a quote inside an unquoted field; put the whole field in quotes`);
      quoted = true;
      cellWasQuoted = true;
      cellWasQuotedInRecord = true;
      quoteLine = line;
      cell = '';
    } else if (c === ',') {
      endCell();
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else if (cellWasQuoted) {
      if (c !== ' ' && c !== '\t') throw new UserDataError(`${fileName} line ${line}, column ${cells.length + 1}: text after a closing quote`);
    } else {
      cell += c;
    }
  }
  if (quoted) throw new UserDataError(`${fileName} line ${quoteLine}, column ${cells.length + 1}: a quote is opened and never closed`);
  endRecord();
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
  const records = csvRecords(decodeUtf8(bytes, fileName), fileName);
  const { columns, labels } = params;
  const width = columns + (labels === 'none' ? 0 : 1);
  const labelAt = labels === 'first-column' ? 0 : labels === 'last-column' ? width - 1 : -1;
  const firstNumeric = labelAt === 0 ? 1 : 0;
  const numericCells = (r: CsvRecord) => r.cells.slice(firstNumeric, firstNumeric + columns);

  for (const r of records) {
    if (r.cells.length !== width) {
      throw new UserDataError(`${fileName} line ${r.line} has ${r.cells.length} field${r.cells.length === 1 ? '' : 's'}; the Data node declares ${describeLayout(params)}, so ${width} per row (set columns to match the file)`);
    }
  }
  const first = records[0];
  const hasHeader = first !== undefined && (params.header === 'yes' || (params.header === 'auto' && numericCells(first).some((c) => parseCell(c) === undefined)));
  const body = hasHeader ? records.slice(1) : records;
  if (body.length === 0) throw new UserDataError(`${fileName} has no rows of data`);
  if (body.length > USER_DATA_LIMITS.rows) throw new UserDataError(`${fileName} has ${body.length.toLocaleString('en-US')} rows; the limit is ${USER_DATA_LIMITS.rows.toLocaleString('en-US')}`);
  if (body.length * columns > USER_DATA_LIMITS.cells) {
    throw new UserDataError(`${fileName} has ${(body.length * columns).toLocaleString('en-US')} numbers; the limit is ${USER_DATA_LIMITS.cells.toLocaleString('en-US')}`);
  }

  const values = new Float32Array(body.length * columns);
  body.forEach((r, row) => {
    for (let j = 0; j < columns; j++) {
      const cell = r.cells[firstNumeric + j]!;
      const value = parseCell(cell);
      if (value === undefined) {
        const what = cell === '' ? 'is empty' : `"${cell.length > 40 ? `${cell.slice(0, 40)}…` : cell}" is not a number`;
        throw new UserDataError(`${fileName} line ${r.line}, column ${firstNumeric + j + 1}: ${what}`);
      }
      values[row * columns + j] = value;
    }
  });
  const table: CsvTable = { rows: body.length, columns, values };
  if (hasHeader) table.columnNames = numericCells(first!);
  if (labelAt >= 0) {
    for (const r of body) {
      if (r.cells[labelAt] === '') throw new UserDataError(`${fileName} line ${r.line}, column ${labelAt + 1}: the label is empty`);
    }
    const classes = sortClasses(body.map((r) => r.cells[labelAt]!));
    if (classes.length > USER_DATA_LIMITS.classes) throw new UserDataError(`${fileName} has ${classes.length} distinct labels; the limit is ${USER_DATA_LIMITS.classes}`);
    const index = new Map(classes.map((c, i) => [c, i]));
    table.labels = Int32Array.from(body, (r) => index.get(r.cells[labelAt]!)!);
    table.classes = classes;
  }
  return table;
}
