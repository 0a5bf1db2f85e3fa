/** A table as panels show it and copy it as CSV. */
export type Cell = string | number | null;

export interface Table {
  /** Used as the CSV name and the heading. */
  name: string;
  headers: string[];
  rows: Cell[][];
}

function csvCell(cell: Cell): string {
  if (cell === null) return '';
  const text = String(cell);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** RFC 4180 CSV with a header line and CRLF line ends. */
export function toCsv(table: Table): string {
  return [table.headers, ...table.rows].map((row) => row.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
