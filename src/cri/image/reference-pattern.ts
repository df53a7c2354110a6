/**
 * Docker's `reference` image filter matches with Go's `path.Match`, and fails the whole list (HTTP
 * 500, "syntax error in pattern") when the pattern is malformed, but only once there is an image to
 * match it against. This checks a pattern against the same grammar first, so a bad ListImages
 * filter is the client's error on every engine, with or without images:
 *
 *   pattern: { term }
 *   term:    '*' | '?' | '[' [ '^' ] { range } ']' | '\\' c | c
 *   range:   c [ '-' c ]        (c is any character but '-' and ']' unescaped, or '\\' c)
 *
 * A class needs at least one range (so "[]" and "[]a]" are errors, as in Go), and a trailing '\\'
 * escapes nothing.
 */

/** Why `pattern` is not a valid Go path.Match pattern, or undefined when it is. */
export function patternSyntaxError(pattern: string): string | undefined {
  // Code points, as Go walks the pattern by rune.
  const chars = Array.from(pattern);
  let i = 0;
  while (i < chars.length) {
    const c = chars[i];
    if (c === "\\") {
      if (i + 1 >= chars.length) return "it ends in an unfinished escape '\\'";
      i += 2;
    } else if (c === "[") {
      const end = classEnd(chars, i + 1);
      if (typeof end === "string") return `its character class at offset ${i} ${end}`;
      i = end;
    } else {
      i++;
    }
  }
  return undefined;
}

/** The index after the class that starts at `from` (just after its '['), or what is wrong with it. */
function classEnd(chars: readonly string[], from: number): number | string {
  let i = from;
  if (chars[i] === "^") i++;
  let ranges = 0;
  for (;;) {
    if (chars[i] === "]" && ranges > 0) return i + 1;
    const lo = classChar(chars, i);
    if (typeof lo === "string") return lo;
    i = lo;
    if (chars[i] === "-") {
      const hi = classChar(chars, i + 1);
      if (typeof hi === "string") return hi;
      i = hi;
    }
    ranges++;
  }
}

/** The index after one class character at `i`, or what is wrong; the class must go on after it. */
function classChar(chars: readonly string[], i: number): number | string {
  const c = chars[i];
  if (c === undefined) return "is never closed with ']'";
  if (c === "-" || c === "]") return `has '${c}' where a character is expected`;
  let next = i + 1;
  if (c === "\\") {
    if (chars[next] === undefined) return "ends in an unfinished escape '\\'";
    next++;
  }
  if (chars[next] === undefined) return "is never closed with ']'";
  return next;
}
