/** A table cell: numbers written in full precision, null as empty, booleans as true/false. */
export type CsvCell = string | number | boolean | null | undefined;

/** One table: a header and rows of the same width. */
export interface CsvTable {
  /** File name inside `csv/`, e.g. `interventions.csv`. */
  file: string;
  header: string[];
  rows: CsvCell[][];
}

/** RFC 4180 CSV with CRLF line ends; cells holding `,` `"` or a line break are quoted. */
export function toCsv(table: Pick<CsvTable, 'header' | 'rows'>): string {
  const cell = (value: CsvCell): string => {
    if (value === null || value === undefined) return '';
    const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  for (const [i, row] of table.rows.entries()) {
    if (row.length !== table.header.length) throw new Error(`CSV row ${i} has ${row.length} cells for ${table.header.length} columns`);
  }
  return [table.header, ...table.rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}
