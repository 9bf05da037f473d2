/**
 * Fault injection: `--deny VERB:RESOURCE` rules that make the lab kube-apiserver answer 403 Forbidden, as
 * RBAC would. VERB is a Kubernetes verb (get, list, watch, create, update, patch, delete, deletecollection)
 * or `*`; RESOURCE is a plural (`ippools`), a qualified name (`ippools.crd.projectcalico.org`) or `*`.
 */
import { qualifiedName, type ResourceDef, VERBS, type Verb } from "./resources.js";

export interface DenyRule {
  verb: Verb | "*";
  resource: string;
}

function isVerb(s: string): s is Verb {
  return (VERBS as readonly string[]).includes(s);
}

export function parseDenyRule(spec: string): DenyRule | string {
  const [verb = "", resource = "", ...rest] = spec.split(":");
  if (rest.length > 0 || resource === "")
    return `invalid --deny ${JSON.stringify(spec)}: expected VERB:RESOURCE`;
  if (verb !== "*" && !isVerb(verb))
    return `invalid --deny ${JSON.stringify(spec)}: unknown verb "${verb}" (one of ${VERBS.join(", ")}, *)`;
  return { verb, resource };
}

export function isDenied(rules: readonly DenyRule[], verb: Verb, def: ResourceDef): boolean {
  return rules.some(
    (r) =>
      (r.verb === "*" || r.verb === verb) &&
      (r.resource === "*" || r.resource === def.plural || r.resource === qualifiedName(def)),
  );
}
