import { describe, expect, it } from "vitest";
import { exitCodeOfKind, exitCodeOfOutcome, withExitCode } from "../../src/cli/exit-codes.js";
import {
  ConflictError,
  classifyError,
  InternalError,
  MeshctlError,
  ParseError,
} from "../../src/core/errors.js";
import { PlanConflict } from "../../src/plan/node-diff.js";

describe("exit codes (the README's table)", () => {
  it("maps every run outcome", () => {
    expect(exitCodeOfOutcome("ok")).toBe(0);
    expect(exitCodeOfOutcome("failed")).toBe(1);
    expect(exitCodeOfOutcome("changes-pending")).toBe(2);
    expect(exitCodeOfOutcome("unreachable")).toBe(4);
    expect(exitCodeOfOutcome("interrupted")).toBe(130);
  });

  it("maps every error kind", () => {
    expect(exitCodeOfKind("invalid-input")).toBe(3);
    expect(exitCodeOfKind("usage")).toBe(64);
    expect(exitCodeOfKind("internal")).toBe(70);
    expect(exitCodeOfKind("interrupted")).toBe(130);
    expect(exitCodeOfKind("unreachable")).toBe(4);
    for (const k of ["conflict", "remote", "parse", "timeout"] as const) expect(exitCodeOfKind(k)).toBe(1);
  });

  it("JSON keeps exitCode, first", () => {
    expect(Object.keys(withExitCode("changes-pending", { mode: "diff" }) as object)).toEqual([
      "exitCode",
      "mode",
    ]);
    expect(withExitCode("changes-pending", { mode: "diff" })).toEqual({ exitCode: 2, mode: "diff" });
  });
});

describe("error vocabulary", () => {
  it("conflicts and parse failures are typed, not internal errors", () => {
    const c = new PlanConflict("c1-node1", "a route is in the way");
    expect(c).toBeInstanceOf(ConflictError);
    expect(c.kind).toBe("conflict");
    expect(classifyError(c)).toEqual({ unreachable: false, message: "c1-node1: a route is in the way" });
    expect(classifyError(new ParseError("bad json")).message).toBe("bad json");
  });

  it("anything else is named an internal error", () => {
    expect(classifyError(new Error("boom")).message).toBe("internal error: boom");
    expect(classifyError(new InternalError("boom")).message).toBe("internal error: boom");
    expect(classifyError(new MeshctlError("down", "unreachable")).unreachable).toBe(true);
  });
});
