/**
 * Names the type of a value that was not what a field expects, for error messages. It never
 * echoes the value itself, which may be huge or hostile.
 *
 * @param value - Anything.
 * @returns `'null'`, `'an array'`, `'a Date'`, `'an object'`, or the `typeof` name.
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'object' ? 'an object' : typeof value;
}
