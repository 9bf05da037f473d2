/**
 * The inventory's messages for what zod checks itself (types, ranges, choices), said as a person would
 * ("must be at most 9000", "expected a number, not the string "ten""), instead of zod's
 * "Too big: expected number to be <=9000". Messages a field sets itself are zod's to keep.
 */
interface RawIssue {
  code?: string;
  input?: unknown;
  path?: PropertyKey[];
  expected?: string;
  origin?: string;
  minimum?: number | bigint;
  maximum?: number | bigint;
  inclusive?: boolean;
  values?: readonly unknown[];
}

const NOUNS: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a map",
};

/** What the value is, for "expected X, not …". */
function described(v: unknown): string {
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  if (typeof v === "number") return Number.isInteger(v) ? `the number ${v}` : `${v}`;
  if (typeof v === "boolean") return String(v);
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object" && v !== null) return "a map";
  return String(v);
}

/** For an absent key (`key:` without a value) zod says "expected string, received undefined (null)". */
export function missingKey(issue: RawIssue): string | undefined {
  const key = issue.path?.[issue.path.length - 1];
  if (issue.code !== "invalid_type" || typeof key !== "string") return undefined;
  if (issue.input === undefined) return `missing required key "${key}"`;
  return issue.input === null ? `"${key}" has no value` : undefined;
}

/** The error map of the inventory's parse: undefined keeps zod's (or the field's own) message. */
export function inventoryMessage(issue: RawIssue): string | undefined {
  const missing = missingKey(issue);
  if (missing !== undefined) return missing;
  const bound = (n: number | bigint | undefined) => String(n);
  switch (issue.code) {
    case "invalid_type": {
      const noun = NOUNS[issue.expected ?? ""];
      return noun === undefined ? undefined : `expected ${noun}, not ${described(issue.input)}`;
    }
    case "too_small":
      if (issue.origin === "string" && Number(issue.minimum) === 1) return "must not be empty";
      if (issue.origin === "array")
        return `needs at least ${bound(issue.minimum)} entr${Number(issue.minimum) === 1 ? "y" : "ies"}`;
      if (issue.origin === "number") {
        return issue.inclusive
          ? `must be at least ${bound(issue.minimum)}`
          : `must be more than ${bound(issue.minimum)}`;
      }
      return undefined;
    case "too_big":
      if (issue.origin === "number") {
        return issue.inclusive
          ? `must be at most ${bound(issue.maximum)}`
          : `must be less than ${bound(issue.maximum)}`;
      }
      return undefined;
    case "invalid_value": {
      const values = (issue.values ?? []).map((v) => JSON.stringify(v));
      if (values.length === 0) return undefined;
      return `must be ${values.length === 1 ? values[0] : `one of ${values.join(", ")}`}, not ${described(issue.input)}`;
    }
    default:
      return undefined;
  }
}
