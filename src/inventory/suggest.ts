/** "Did you mean …?" for the inventory's keys: the keys of the level a misspelt key is at. Pure. */
import type { z } from "zod";
import { closest } from "./closest.js";
import { clusterSchema, inventorySchema, meshSchema, nodeSchema, sshSchema } from "./schema.js";

type AnySchema = z.ZodType;
interface Def {
  type?: string;
  innerType?: AnySchema;
  element?: AnySchema;
  shape?: Record<string, AnySchema>;
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The schema itself, without optional/default/nullable wrappers. */
function bare(s: AnySchema): AnySchema {
  let x = s;
  for (let inner = defOf(x).innerType; inner !== undefined; inner = defOf(x).innerType) x = inner;
  return x;
}

/** The keys the schema allows in the map at `path` (`["clusters", 0, "ssh"]`), or undefined if not a map. */
export function keysAt(path: readonly (string | number)[]): string[] | undefined {
  let s = bare(inventorySchema);
  for (const step of path) {
    const def = defOf(s);
    if (typeof step === "number" && def.element) s = bare(def.element);
    else if (typeof step === "string" && def.shape?.[step]) s = bare(def.shape[step]);
    else return undefined;
  }
  const shape = defOf(s).shape;
  return shape ? Object.keys(shape) : undefined;
}

/** Every key of every level of the inventory. */
const ALL_KEYS = new Set(
  [inventorySchema, meshSchema, clusterSchema, nodeSchema, sshSchema].flatMap((s) => Object.keys(s.shape)),
);

/** What to say about an unknown key at `path`: the key it was probably meant to be, or a hint. */
export function unknownKeyHint(
  key: string,
  path: readonly (string | number)[],
): { meant?: string; hint: string } {
  const here = keysAt(path) ?? [];
  if (ALL_KEYS.has(key) && !here.includes(key)) return { hint: " at this level (check the indentation)" };
  const meant = closest(key, here);
  return meant === undefined ? { hint: "" } : { meant, hint: ` — did you mean "${meant}"?` };
}
