/**
 * JSON paths as users read them in errors: `probes.interventions.triggers[1]`, `classMap["T-shirt/top"]`.
 */

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Joins path segments: strings become `.key` (or `["key"]` when not an identifier), numbers `[i]`. */
export function formatJsonPath(segments: readonly (string | number)[]): string {
  let path = '';
  for (const segment of segments) {
    if (typeof segment === 'number') path += `[${segment}]`;
    else if (IDENTIFIER.test(segment)) path += path === '' ? segment : `.${segment}`;
    else path += `[${JSON.stringify(segment)}]`;
  }
  return path === '' ? '(the config)' : path;
}

/**
 * Segments of a JSON Pointer (RFC 6901, as ajv's `instancePath`). A segment is an index when it addresses an
 * array in `root` (so an object key "3" stays a key).
 */
export function jsonPointerSegments(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const segments: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node) && /^(0|[1-9][0-9]*)$/.test(key)) {
      segments.push(Number(key));
      node = node[Number(key)];
    } else {
      segments.push(key);
      node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return segments;
}

/** `formatJsonPath` of a JSON Pointer into `root`, optionally with one more key appended. */
export function pointerToJsonPath(pointer: string, root: unknown, extra?: string): string {
  const segments = jsonPointerSegments(pointer, root);
  if (extra !== undefined) segments.push(extra);
  return formatJsonPath(segments);
}
