/**
 * Tabular benchmarks: a CSV file with one row per architecture. The `arch` column holds the
 * space's text form (an NB201 cell string, a DARTS genotype, ...); every other column is a metric,
 * named `metric@fidelity` (e.g. `c10_val_acc@12`: validation accuracy after 12 epochs) or plain
 * `metric` (one value, no fidelity). Empty cells and `nan`/`NaN` are NaN: an evaluation that
 * failed. Anything else that is not a decimal number is an error naming the file, line and column.
 *
 * Rows are looked up by the architecture's exact `key`, never its canonical form: isomorphic cells
 * were trained separately in NAS-Bench-201 and have different recorded accuracies.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { Architecture } from '../space/architecture.js';
import type { SearchSpace } from '../space/space.js';

/** A malformed table, an unknown column, or an architecture the table does not hold. */
export class BenchmarkTableError extends Error {
  /** Reported by the CLI as bad input (exit code 2). */
  readonly code = 'LOOM_BAD_DATA';
  constructor(message: string) {
    super(message);
    this.name = 'BenchmarkTableError';
  }
}

/** One metric column of a table. */
export interface TableColumn {
  /** The header as written, e.g. `c10_val_acc@12`. */
  readonly name: string;
  /** The metric, e.g. `c10_val_acc`. */
  readonly metric: string;
  /** The fidelity after `@` (e.g. 12 epochs); undefined for a plain `metric` column. */
  readonly fidelity: number | undefined;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const METRIC = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Reads `metric@fidelity` or `metric`; null when the header is neither. */
function parseHeader(name: string): { metric: string; fidelity: number | undefined } | null {
  const at = name.lastIndexOf('@');
  if (at < 0) return METRIC.test(name) ? { metric: name, fidelity: undefined } : null;
  const metric = name.slice(0, at);
  const f = name.slice(at + 1);
  if (!METRIC.test(metric) || !NUMBER.test(f)) return null;
  const fidelity = Number(f);
  return fidelity > 0 && Number.isFinite(fidelity) ? { metric, fidelity } : null;
}

/** One CSV record with the line it starts on (1-based). */
interface CsvRecord {
  line: number;
  fields: string[];
}

/**
 * Splits CSV text into records (RFC 4180: fields may be quoted with `"`, a quote inside is `""`,
 * and a quoted field may hold commas and newlines). Lines that are empty or only whitespace are
 * skipped. A record without quotes takes a fast path (one `split`).
 */
function* csvRecords(text: string, where: string): Generator<CsvRecord> {
  const n = text.length;
  let pos = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let line = 1;
  while (pos < n) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = n;
    const raw = text.slice(pos, end > pos && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    if (!raw.includes('"')) {
      if (raw.trim() !== '') yield { line, fields: raw.split(',') };
      pos = end + 1;
      line++;
      continue;
    }
    // A record with quotes: scan it character by character (it may span lines).
    const start = line;
    const fields: string[] = [];
    let field = '';
    let i = pos;
    let quoted = false;
    let wasQuoted = false;
    for (;;) {
      if (i >= n) {
        if (quoted) throw new BenchmarkTableError(`${where}:${start}: a quoted field is not closed`);
        fields.push(field);
        pos = n;
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          quoted = false;
          i++;
          continue;
        }
        if (c === '\n') line++;
        field += c;
        i++;
        continue;
      }
      if (c === '"') {
        if (field !== '' || wasQuoted) throw new BenchmarkTableError(`${where}:${line}: a quote '"' in the middle of an unquoted field`);
        quoted = true;
        wasQuoted = true;
        i++;
      } else if (c === ',') {
        fields.push(field);
        field = '';
        wasQuoted = false;
        i++;
      } else if (c === '\n' || (c === '\r' && text[i + 1] === '\n')) {
        fields.push(field);
        pos = i + (c === '\r' ? 2 : 1);
        break;
      } else {
        if (wasQuoted) throw new BenchmarkTableError(`${where}:${line}: text after a closing quote`);
        field += c;
        i++;
      }
    }
    yield { line: start, fields };
    line++;
  }
}

/**
 * A tabular benchmark: metric values of architectures of one search space, looked up by the
 * architecture's exact key. Build it with {@link BenchmarkTable.load} (a file) or
 * {@link BenchmarkTable.parse} (text).
 */
export class BenchmarkTable {
  /** The space the `arch` column belongs to. */
  readonly space: SearchSpace;
  /** Where the table came from (a path, or a label for text). */
  readonly source: string;
  /** The metric columns, in file order. */
  readonly columns: readonly TableColumn[];
  /** The architectures, in file order. */
  readonly archs: readonly Architecture[];
  private readonly rowOf: Map<string, number>;
  private readonly values: Map<string, Float64Array>;

  private constructor(space: SearchSpace, source: string, columns: TableColumn[], archs: Architecture[], rowOf: Map<string, number>, values: Map<string, Float64Array>) {
    this.space = space;
    this.source = source;
    this.columns = Object.freeze(columns);
    this.archs = Object.freeze(archs);
    this.rowOf = rowOf;
    this.values = values;
  }

  /** Reads a CSV file (see the module's documentation); throws {@link BenchmarkTableError}. */
  static load(file: string, space: SearchSpace): BenchmarkTable {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new BenchmarkTableError(`${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a folder, not a CSV file' : (e as Error).message}`);
    }
    return BenchmarkTable.parse(text, space, file);
  }

  /** Reads CSV text; `source` names it in error messages. Throws {@link BenchmarkTableError}. */
  static parse(text: string, space: SearchSpace, source = '<table>'): BenchmarkTable {
    const records = csvRecords(text, source);
    const head = records.next();
    if (head.done) throw new BenchmarkTableError(`${source}: the table is empty (expected a header line with an 'arch' column)`);
    const header = head.value.fields.map((h) => h.trim());
    const headLine = head.value.line;
    const archCol = header.indexOf('arch');
    if (archCol < 0) throw new BenchmarkTableError(`${source}:${headLine}: no 'arch' column in the header (found: ${header.join(', ')})`);
    const seen = new Map<string, number>();
    const columns: TableColumn[] = [];
    const colIndex: number[] = [];
    header.forEach((h, j) => {
      const prev = seen.get(h);
      if (prev !== undefined) throw new BenchmarkTableError(`${source}:${headLine}: column ${j + 1} '${h}' repeats column ${prev + 1}`);
      seen.set(h, j);
      if (j === archCol) return;
      const p = parseHeader(h);
      if (!p) throw new BenchmarkTableError(`${source}:${headLine}: column ${j + 1} '${h}' is not 'metric' or 'metric@fidelity' (fidelity a number > 0, e.g. c10_val_acc@12)`);
      columns.push({ name: h, metric: p.metric, fidelity: p.fidelity });
      colIndex.push(j);
    });
    const archs: Architecture[] = [];
    const lines: number[] = [];
    const rowOf = new Map<string, number>();
    const cols: number[][] = columns.map(() => []);
    for (const { line, fields } of records) {
      if (fields.length !== header.length) throw new BenchmarkTableError(`${source}:${line}: expected ${header.length} fields, found ${fields.length}`);
      const text = fields[archCol];
      let arch: Architecture;
      try {
        arch = space.parse(text);
      } catch (e) {
        throw new BenchmarkTableError(`${source}:${line}: column ${archCol + 1} 'arch': not an architecture of space '${space.name}': ${(e as Error).message}`);
      }
      const dup = rowOf.get(arch.key);
      if (dup !== undefined) throw new BenchmarkTableError(`${source}:${line}: architecture '${text.trim()}' is already on line ${lines[dup]}`);
      rowOf.set(arch.key, archs.length);
      archs.push(arch);
      lines.push(line);
      for (let c = 0; c < colIndex.length; c++) {
        const cell = fields[colIndex[c]].trim();
        let v: number;
        if (cell === '' || cell === 'nan' || cell === 'NaN') v = Number.NaN;
        else if (NUMBER.test(cell)) v = Number(cell);
        else throw new BenchmarkTableError(`${source}:${line}: column ${colIndex[c] + 1} '${columns[c].name}': '${cell}' is not a number (empty or NaN marks a failed evaluation)`);
        cols[c].push(v);
      }
    }
    if (!archs.length) throw new BenchmarkTableError(`${source}: the table has a header but no rows`);
    const values = new Map(columns.map((col, c) => [col.name, Float64Array.from(cols[c])]));
    return new BenchmarkTable(space, source, columns, archs, rowOf, values);
  }

  /** Number of architectures (rows). */
  get size(): number {
    return this.archs.length;
  }

  /** Whether the table has a column named `name`. */
  hasColumn(name: string): boolean {
    return this.values.has(name);
  }

  /** The column named `name`; throws a {@link BenchmarkTableError} listing the columns. */
  column(name: string): TableColumn {
    const c = this.columns.find((x) => x.name === name);
    if (!c) throw new BenchmarkTableError(`${this.source}: no column '${name}' (columns: ${this.columns.map((x) => x.name).join(', ')})`);
    return c;
  }

  /** The fidelities recorded for `metric`, ascending (empty when it has none, or only a plain column). */
  fidelities(metric: string): number[] {
    return this.columns
      .filter((c) => c.metric === metric && c.fidelity !== undefined)
      .map((c) => c.fidelity as number)
      .sort((a, b) => a - b);
  }

  /** Whether the table holds `arch` (exact key). */
  has(arch: Architecture): boolean {
    return this.rowOf.has(arch.key);
  }

  /** The row index of `arch`; throws a {@link BenchmarkTableError} naming it when the table lacks it. */
  row(arch: Architecture): number {
    const r = this.rowOf.get(arch.key);
    if (r === undefined) {
      let text: string;
      try {
        text = this.space.format(arch);
      } catch {
        text = arch.key;
      }
      throw new BenchmarkTableError(`${this.source}: architecture '${text}' is not in the table (${this.size} row${this.size === 1 ? '' : 's'})`);
    }
    return r;
  }

  /** The value of column `name` for `arch` (NaN for a failed evaluation). */
  value(arch: Architecture, name: string): number {
    const col = this.values.get(name);
    if (!col) this.column(name);
    return (col as Float64Array)[this.row(arch)];
  }

  /** All values of column `name`, in row order (a copy). */
  columnValues(name: string): Float64Array {
    const col = this.values.get(name);
    if (!col) this.column(name);
    return Float64Array.from(col as Float64Array);
  }
}
