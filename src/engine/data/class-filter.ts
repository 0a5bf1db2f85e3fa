import { AuditError } from '../util/errors';
import { classTokens } from './spec';

/**
 * Resolves a class filter against a source's class names and returns the kept source class indices,
 * sorted and unique.
 *
 * Tokens (comma-separated in the string form, or list items): a token equal to a class name selects that
 * class; otherwise `N` selects index N and `A-B` the inclusive index range A..B. List items that are numbers
 * are always indices. So for folders named `0`..`9`, `classes=2` is the folder named `2`.
 *
 * @throws AuditError (code `EMPTY_SELECTION`) for an unknown name, an index out of range, an empty range or
 *   a filter that selects no class. `where` names the dataset in the message.
 */
export function resolveClassFilter(filter: string | readonly (string | number)[], classNames: readonly string[], where: string): number[] {
  const tokens = classTokens(filter);
  const byName = new Map(classNames.map((name, index) => [name, index]));
  const kept = new Set<number>();
  const fail = (problem: string): never => {
    throw new AuditError(`class filter ${JSON.stringify(filter)}: ${problem} (classes: ${describeClasses(classNames)})`, {
      file: where,
      code: 'EMPTY_SELECTION',
    });
  };
  const checkIndex = (index: number): number => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= classNames.length) {
      fail(`class index ${index} is out of range 0-${classNames.length - 1}`);
    }
    return index;
  };
  for (const token of tokens) {
    if (typeof token === 'number') {
      kept.add(checkIndex(token));
      continue;
    }
    if (token === '') continue;
    const named = byName.get(token);
    if (named !== undefined) {
      kept.add(named);
      continue;
    }
    const range = /^(\d+)-(\d+)$/.exec(token);
    if (range) {
      const from = checkIndex(Number(range[1]));
      const to = checkIndex(Number(range[2]));
      if (to < from) fail(`the range ${token} is empty`);
      for (let i = from; i <= to; i++) kept.add(i);
    } else if (/^\d+$/.test(token)) {
      kept.add(checkIndex(Number(token)));
    } else {
      fail(`no class is named '${token}'`);
    }
  }
  if (kept.size === 0) fail('it selects no class');
  return [...kept].sort((a, b) => a - b);
}

function describeClasses(classNames: readonly string[]): string {
  const shown = classNames.slice(0, 12).map((name, i) => `${i}=${name}`);
  return classNames.length > 12 ? `${shown.join(', ')}, ... (${classNames.length} in all)` : shown.join(', ');
}
