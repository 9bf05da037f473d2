/**
 * `--limit`: which nodes (and clusters' IPPools) a run acts on, Ansible's way. Pure.
 *
 * The text is a comma-separated list of patterns. A pattern is a node or cluster name, or a glob of one
 * (`*`, `?`, `[abc]`, `[a-c]`); a cluster's name selects all its nodes. `!pattern` excludes what it matches
 * (a node, or a whole cluster). Only exclusions: everything but them. Every pattern must match some node or
 * cluster (a typo in `!…` would otherwise act on what it meant to spare) and the result must not be empty;
 * an empty pattern (`''`, `',,'`, `a,,b`: an unset variable) is refused — each a usage error.
 */
import { UsageError } from "../core/errors.js";
import { closest } from "../inventory/closest.js";

export interface LimitPattern {
  /** The pattern as written, without the `!`. */
  text: string;
  exclude: boolean;
  re: RegExp;
}

/** A parsed --limit; resolve it against a model with `selectNodes` / `limitNamesCluster`. */
export interface Limit {
  text: string;
  patterns: readonly LimitPattern[];
}

const PATTERN_CHARS = /^[A-Za-z0-9._*?[\]-]+$/;

function globToRegExp(glob: string): RegExp {
  let body = "";
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === "*") body += ".*";
    else if (c === "?") body += ".";
    else if (c === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) throw new UsageError(`--limit pattern "${glob}": "[" without a closing "]"`);
      body += `[${glob.slice(i + 1, end).replace(/[\\^]/g, "\\$&")}]`;
      i = end;
    } else body += c.replace(/[.\-\]]/g, "\\$&");
  }
  return new RegExp(`^${body}$`);
}

/** Parses the text of --limit; throws UsageError for an empty or malformed pattern. */
export function parseLimit(text: string): Limit {
  const items = text.split(",").map((s) => s.trim());
  if (items.every((item) => item === "")) {
    throw new UsageError(
      `--limit "${text}" selects nothing: give node or cluster names or patterns, or leave --limit out to act on the whole mesh`,
    );
  }
  const patterns = items.map((item, i): LimitPattern => {
    const exclude = item.startsWith("!");
    const body = exclude ? item.slice(1) : item;
    const where = items.length > 1 ? ` (item ${i + 1} of "${text}")` : "";
    if (body === "") {
      throw new UsageError(
        `--limit has an empty ${exclude ? "exclusion" : "name"}${where}: an unset variable? (refused rather than guessed)`,
      );
    }
    if (!PATTERN_CHARS.test(body)) {
      throw new UsageError(
        `--limit pattern "${item}"${where}: only names, * ? [...] globs and a leading ! are allowed`,
      );
    }
    return { text: body, exclude, re: globToRegExp(body) };
  });
  return { text, patterns };
}

interface Named {
  name: string;
  cluster: string;
}

const hits = (p: LimitPattern, n: Named) => p.re.test(n.name) || p.re.test(n.cluster);

/**
 * The nodes `limit` selects, in model order. Throws UsageError when a pattern matches no node or cluster,
 * or when nothing is left.
 */
export function selectByLimit<N extends Named>(
  nodes: readonly N[],
  clusters: readonly string[],
  limit: Limit | undefined,
): N[] {
  if (!limit) return [...nodes];
  const unmatched = limit.patterns.filter(
    (p) => !nodes.some((n) => hits(p, n)) && !clusters.some((c) => p.re.test(c)),
  );
  if (unmatched.length > 0) {
    const list = unmatched.map((p) => `${p.exclude ? "!" : ""}${p.text}`).join(", ");
    const names = [...nodes.map((n) => n.name), ...clusters];
    // A plain name (no glob) near one of the inventory: what was probably meant.
    const meant = unmatched.flatMap((p) => {
      const m = /[*?[]/.test(p.text) ? undefined : closest(p.text, names);
      return m === undefined ? [] : [`${p.exclude ? "!" : ""}${m}`];
    });
    const hint = meant.length > 0 ? ` — did you mean ${meant.join(", ")}?` : "";
    throw new UsageError(`--limit: ${list} matches no node or cluster of the inventory${hint}`);
  }
  const include = limit.patterns.filter((p) => !p.exclude);
  const exclude = limit.patterns.filter((p) => p.exclude);
  const chosen = nodes.filter(
    (n) => (include.length === 0 || include.some((p) => hits(p, n))) && !exclude.some((p) => hits(p, n)),
  );
  if (chosen.length === 0) throw new UsageError(`--limit "${limit.text}" selects no node`);
  return chosen;
}

/**
 * Whether a cluster-level step (its IPPools) runs: with no limit, or when a pattern names the cluster itself
 * (not only some of its nodes) and no exclusion names it. Only exclusions: every cluster not excluded.
 */
export function limitNamesCluster(limit: Limit | undefined, cluster: string): boolean {
  if (!limit) return true;
  const include = limit.patterns.filter((p) => !p.exclude);
  if (limit.patterns.some((p) => p.exclude && p.re.test(cluster))) return false;
  return include.length === 0 || include.some((p) => p.re.test(cluster));
}
