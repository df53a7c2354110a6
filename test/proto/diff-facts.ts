// A structural diff that names each difference by a readable path such as
// `messages["AuthConfig"].fields["password"].number: expected 2, got 3`, so a failing comparison of
// hundreds of facts says exactly what differs instead of dumping two huge objects.

export function diffFacts(expected: unknown, actual: unknown, path = "$"): string[] {
  const out: string[] = [];
  walk(expected, actual, path, out);
  return out;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function show(v: unknown): string {
  // JSON.stringify(undefined) yields undefined although it is typed as returning a string.
  return v === undefined ? "undefined" : JSON.stringify(v);
}

/** Names of array elements when every element is an object with a unique string `name`, else undefined. */
function namesOf(arr: readonly unknown[]): string[] | undefined {
  const names: string[] = [];
  for (const el of arr) {
    if (!isRecord(el) || typeof el["name"] !== "string") return undefined;
    names.push(el["name"]);
  }
  return new Set(names).size === names.length ? names : undefined;
}

function walk(exp: unknown, act: unknown, path: string, out: string[]): void {
  if (Array.isArray(exp) && Array.isArray(act)) {
    walkArray(exp, act, path, out);
  } else if (isRecord(exp) && isRecord(act)) {
    for (const key of new Set([...Object.keys(exp), ...Object.keys(act)])) {
      const p = `${path}.${key}`;
      if (!(key in act)) out.push(`${p}: missing (expected ${show(exp[key])})`);
      else if (!(key in exp)) out.push(`${p}: unexpected ${show(act[key])}`);
      else walk(exp[key], act[key], p, out);
    }
  } else if (!Object.is(exp, act)) {
    out.push(`${path}: expected ${show(exp)}, got ${show(act)}`);
  }
}

function walkArray(exp: readonly unknown[], act: readonly unknown[], path: string, out: string[]): void {
  const expNames = namesOf(exp);
  const actNames = namesOf(act);
  if (expNames === undefined || actNames === undefined) {
    if (exp.length !== act.length) out.push(`${path}: expected ${exp.length} elements, got ${act.length}`);
    for (let i = 0; i < Math.min(exp.length, act.length); i++) walk(exp[i], act[i], `${path}[${i}]`, out);
    return;
  }
  // Keyed by name, so one inserted element reports as one difference rather than shifting every index.
  const actByName = new Map(actNames.map((n, i) => [n, act[i]]));
  const expSet = new Set(expNames);
  for (const [i, name] of expNames.entries()) {
    if (!actByName.has(name)) out.push(`${path}[${show(name)}]: missing`);
    else walk(exp[i], actByName.get(name), `${path}[${show(name)}]`, out);
  }
  for (const name of actNames) if (!expSet.has(name)) out.push(`${path}[${show(name)}]: unexpected`);
  const commonExp = expNames.filter((n) => actByName.has(n));
  const commonAct = actNames.filter((n) => expSet.has(n));
  const at = commonExp.findIndex((n, i) => n !== commonAct[i]);
  if (at >= 0) {
    out.push(`${path}: order differs at position ${at}: expected ${show(commonExp[at])}, got ${show(commonAct[at])}`);
  }
}
