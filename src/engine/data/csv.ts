/** One CSV record and the line it starts on (1-based), for messages. */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/**
 * Parses CSV text (RFC 4180: comma separator, fields optionally in double quotes, `""` for a quote inside
 * quotes, CRLF or LF line ends, newlines allowed inside quotes). A leading byte-order mark is dropped and
 * blank lines are skipped. Returns undefined-free records; `error` describes an unterminated quote.
 */
export function parseCsv(text: string): { records: CsvRecord[]; error?: { line: number; problem: string } } {
  const records: CsvRecord[] = [];
  const input = text.replace(/^\uFEFF/, '');
  let fields: string[] = [];
  let field = '';
  let line = 1;
  let recordLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  let fieldStarted = false;
  const endRecord = (): void => {
    fields.push(field);
    // A blank line is a single empty field: skip it.
    if (!(fields.length === 1 && fields[0] === '' && !fieldStarted)) records.push({ fields, line: recordLine });
    fields = [];
    field = '';
    fieldStarted = false;
  };
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (inQuotes) {
      if (ch === '"') {
        if (input[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
        }
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field === '') {
      inQuotes = true;
      quoteLine = line;
      fieldStarted = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      fieldStarted = true;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && input[i + 1] === '\n') i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      field += ch;
      fieldStarted = true;
    }
  }
  if (inQuotes) return { records, error: { line: quoteLine, problem: 'a quoted field is never closed' } };
  if (field !== '' || fields.length > 0 || fieldStarted) endRecord();
  return { records };
}
