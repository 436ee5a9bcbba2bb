/**
 * "Did you mean" for misspelt field and option names: a typo must fail loudly and point at the
 * name that was meant, because an unknown key silently ignored is how a durable `storage` turns
 * into an in-memory one.
 */

/** Longer keys are not compared: no real name is that long, and hostile input gets no quadratic work. */
const MAX_COMPARED_LENGTH = 40;

/**
 * The known name closest to `key` (case-insensitive Levenshtein distance of at most 2), if any.
 *
 * @param key - The unknown name as given.
 * @param known - The names that exist.
 * @returns The closest known name, or `undefined` when none is near.
 */
export function closestName(key: string, known: readonly string[]): string | undefined {
  if (key.length > MAX_COMPARED_LENGTH) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  const lower = key.toLowerCase();
  for (const name of known) {
    const d = editDistance(lower, name.toLowerCase());
    if (d < bestDistance) {
      best = name;
      bestDistance = d;
    }
  }
  return best;
}

/** Levenshtein distance (insertions, deletions, substitutions). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length] as number;
}
