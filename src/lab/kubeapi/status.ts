/**
 * `Status` bodies worded like kube-apiserver's, so kubectl prints the messages users know
 * (`Error from server (NotFound): ippools.crd.projectcalico.org "x" not found`).
 */
import { qualifiedName, type ResourceDef } from "./resources.js";
import type { Status, StatusCause } from "./types.js";

function status(code: number, reason: string, message: string, details?: Status["details"]): Status {
  const s: Status = {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason,
    code,
  };
  if (details) s.details = details;
  return s;
}

function details(def: ResourceDef, name?: string): NonNullable<Status["details"]> {
  const d: NonNullable<Status["details"]> = { kind: def.plural };
  if (name !== undefined) d.name = name;
  if (def.group !== "") d.group = def.group;
  return d;
}

export function success(def: ResourceDef, name: string): Status {
  return { ...status(200, "", ""), status: "Success", details: details(def, name) };
}

export function notFound(def: ResourceDef, name: string): Status {
  return status(404, "NotFound", `${qualifiedName(def)} "${name}" not found`, details(def, name));
}

/** For a URL that names no served resource (or an unknown path). */
export function noSuchResource(): Status {
  return status(404, "NotFound", "the server could not find the requested resource", {});
}

export function alreadyExists(def: ResourceDef, name: string): Status {
  return status(409, "AlreadyExists", `${qualifiedName(def)} "${name}" already exists`, details(def, name));
}

export function conflict(def: ResourceDef, name: string): Status {
  const msg =
    `Operation cannot be fulfilled on ${qualifiedName(def)} "${name}": the object has been modified; ` +
    "please apply your changes to the latest version and try again";
  return status(409, "Conflict", msg, details(def, name));
}

export function forbidden(def: ResourceDef, verb: string, name?: string): Status {
  const subject = name === undefined ? qualifiedName(def) : `${qualifiedName(def)} "${name}"`;
  const msg =
    `${subject} is forbidden: User "system:anonymous" cannot ${verb} resource "${def.plural}" ` +
    `in API group "${def.group}" at the cluster scope`;
  return status(403, "Forbidden", msg, details(def, name));
}

export function badRequest(message: string): Status {
  return status(400, "BadRequest", message);
}

export function invalid(def: ResourceDef, name: string, causes: StatusCause[]): Status {
  const what = def.group === "" ? def.kind : `${def.kind}.${def.group}`;
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(", ");
  const msg = `${what} "${name}" is invalid: ${causes.length > 1 ? `[${list}]` : list}`;
  return status(422, "Invalid", msg, { ...details(def, name), kind: def.kind, causes });
}

export function methodNotAllowed(): Status {
  return status(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

export function unsupportedMediaType(contentType: string, accepted: readonly string[]): Status {
  const msg = `the body of the request was in an unknown format (${contentType || "none"}) - accepted media types include: ${accepted.join(", ")}`;
  return status(415, "UnsupportedMediaType", msg);
}

export function tooLarge(): Status {
  return status(413, "RequestEntityTooLarge", "the request body is too large");
}

export function internalError(message: string): Status {
  return status(500, "InternalError", `Internal error occurred: ${message}`);
}
