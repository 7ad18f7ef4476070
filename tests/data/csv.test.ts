import { describe, expect, it } from 'vitest';
import { csvRecords, parseCsv, sortClasses } from '../../src/core/data/csv.ts';
import { UserDataError } from '../../src/core/data/user-file.ts';
import { bytes, withLimits } from './user-file-helpers.ts';

const csv = (text: string, params: Partial<Parameters<typeof parseCsv>[2]> = {}) => parseCsv(bytes(text), 'data.csv', { columns: 2, header: 'auto', labels: 'none', ...params });

describe('CSV files', () => {
  it('reads rows of numbers, skipping blank lines, with CRLF or LF', () => {
    const table = csv('1,2\r\n\r\n  -3.5 , 4e2\n\n.5,+6\n');
    expect(table.rows).toBe(3);
    expect(Array.from(table.values)).toEqual([1, 2, -3.5, 400, 0.5, 6]);
    expect(table.columnNames).toBeUndefined();
    expect(table.labels).toBeUndefined();
  });

  it('detects a header row, or takes the declared one', () => {
    expect(csv('x,y\n1,2\n').columnNames).toEqual(['x', 'y']);
    expect(csv('x,y\n1,2\n').rows).toBe(1);
    // A numeric first row is data unless the header is declared.
    expect(csv('10,20\n1,2\n').rows).toBe(2);
    const declared = csv('10,20\n1,2\n', { header: 'yes' });
    expect([declared.rows, declared.columnNames]).toEqual([1, ['10', '20']]);
    expect(() => csv('x,y\n1,2\n', { header: 'no' })).toThrow('data.csv line 1, column 1: "x" is not a number');
  });

  it('reads quoted fields: commas, doubled quotes and line breaks inside quotes', () => {
    expect(csvRecords('"a,b","say ""hi"""\n"two\nlines",3\n', 'q.csv')).toEqual([
      { line: 1, cells: ['a,b', 'say "hi"'] },
      { line: 2, cells: ['two\nlines', '3'] },
    ]);
    expect(Array.from(csv('"1","2"\n').values)).toEqual([1, 2]);
    expect(() => csvRecords('1,"2\n3,4\n', 'q.csv')).toThrow('q.csv line 1, column 2: a quote is opened and never closed');
    expect(() => csvRecords('1,2"x"\n', 'q.csv')).toThrow('q.csv line 1, column 2: a quote inside an unquoted field');
    expect(() => csvRecords('"1"x,2\n', 'q.csv')).toThrow('q.csv line 1, column 1: text after a closing quote');
  });

  it('names the line and column of a cell that is not a number', () => {
    expect(() => csv('1,2\n3,abc\n')).toThrow('data.csv line 2, column 2: "abc" is not a number');
    expect(() => csv('1,2\n\n3,\n')).toThrow('data.csv line 3, column 2: is empty');
    expect(() => csv('1,2\n1e999,2\n')).toThrow('data.csv line 2, column 1: "1e999" is not a number');
    expect(() => csv('1,2\nNaN,2\n')).toThrow(/line 2, column 1: "NaN"/);
    expect(() => csv('1,2\n0x10,2\n')).toThrow(/line 2, column 1: "0x10"/);
  });

  it('refuses ragged rows and a declared column count the file does not have', () => {
    expect(() => csv('1,2\n3\n')).toThrow('data.csv line 2 has 1 field; the Data node declares 2 numbers, so 2 per row (set columns to match the file)');
    expect(() => csv('1,2,3\n4,5,6\n')).toThrow('data.csv line 1 has 3 fields; the Data node declares 2 numbers, so 2 per row');
    expect(() => csv('1,2\n', { columns: 3 })).toThrow(/line 1 has 2 fields; the Data node declares 3 numbers/);
    expect(() => csv('1,2\n', { labels: 'last-column' })).toThrow('data.csv line 1 has 2 fields; the Data node declares 2 numbers plus a label in the last column, so 3 per row');
  });

  it('turns a label column into class indices, sorted (numerically for numbers)', () => {
    const last = csv('a,b,kind\n1,2,dog\n3,4,cat\n5,6,dog\n', { labels: 'last-column' });
    expect(last.classes).toEqual(['cat', 'dog']);
    expect(Array.from(last.labels!)).toEqual([1, 0, 1]);
    expect(Array.from(last.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(last.columnNames).toEqual(['a', 'b']);
    const first = csv('10,1,2\n2,3,4\n9,5,6\n', { labels: 'first-column' });
    expect(first.classes).toEqual(['2', '9', '10']);
    expect(Array.from(first.labels!)).toEqual([2, 0, 1]);
    expect(Array.from(first.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(() => csv('1,2,\n', { labels: 'last-column' })).toThrow('data.csv line 1, column 3: the label is empty');
    expect(sortClasses(['b', 'a', 'b', 'C'])).toEqual(['C', 'a', 'b']);
  });

  it('says so when there is nothing, or the bytes are not text', () => {
    expect(() => csv('')).toThrow('data.csv has no rows of data');
    expect(() => csv('x,y\n')).toThrow('data.csv has no rows of data');
    expect(() => parseCsv(new Uint8Array([0x31, 0x2c, 0xff, 0x0a]), 'bin.csv', { columns: 2, header: 'auto', labels: 'none' })).toThrow('bin.csv is not UTF-8 text');
    expect(Array.from(parseCsv(bytes('\ufeff1,2\n'), 'bom.csv', { columns: 2, header: 'auto', labels: 'none' }).values)).toEqual([1, 2]);
  });

  it('throws only UserDataError for bad files', () => {
    for (const text of ['1,2\n3\n', '"', 'a,b\n', '1,x\n']) {
      expect(() => csv(text)).toThrow(UserDataError);
    }
  });
});

describe('CSV files that would take too much memory', () => {
  const params = { columns: 2, header: 'auto', labels: 'none' } as const;

  it('stops at the field limit on a line of a million fields, without splitting the rest', () => {
    const wide = bytes('1,'.repeat(1_000_000));
    const start = performance.now();
    expect(() => parseCsv(wide, 'wide.csv', params)).toThrow('wide.csv line 1 has more than 4097 fields, the limit');
    expect(performance.now() - start).toBeLessThan(1000);
  });

  it('refuses a field longer than the limit, not building a string of it', () => {
    const field = new Uint8Array(10 << 20).fill(0x31);
    expect(() => parseCsv(field, 'one.csv', params)).toThrow('one.csv line 1, column 1: a field longer than 1,024 bytes, the limit');
  });

  it('refuses rows × columns past the limit as soon as it is passed, before reading further rows', () => {
    // Line 6 is the first past 10 numbers; line 7 is never read, or its "abc" would be the error.
    const text = `${'1,2\n'.repeat(6)}3,abc\n`;
    expect(() => withLimits({ cells: 10 }, () => parseCsv(bytes(text), 'many.csv', params))).toThrow(
      'many.csv has more than 5 rows of 2 numbers: more than 10 numbers (rows × columns), the limit',
    );
    expect(withLimits({ cells: 12 }, () => parseCsv(bytes('1,2\n'.repeat(6)), 'six.csv', params).rows)).toBe(6);
  });

  it('refuses too many distinct labels as soon as one too many appears', () => {
    const text = 'a,1,2\nb,1,2\nc,1,2\nd,1,2\n';
    expect(() => withLimits({ classes: 3 }, () => parseCsv(bytes(text), 'l.csv', { ...params, labels: 'first-column' }))).toThrow('l.csv has more than 3 distinct labels, the limit');
  });

  it('names the byte offset of bytes that are not UTF-8', () => {
    const bad = Uint8Array.from([...bytes('1,2\n3,'), 0xff, 0x0a]);
    expect(() => parseCsv(bad, 'bin.csv', params)).toThrow('bin.csv is not UTF-8 text: the byte 0xFF never occurs in UTF-8, at byte offset 6');
    expect(csvRecords(Uint8Array.from([...bytes('"é",'), 0xc3, 0xa9]), 'u.csv')).toEqual([{ line: 1, cells: ['é', 'é'] }]);
  });
});
