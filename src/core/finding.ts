/**
 * What a check finds (diagnose's node and cluster checks, and each CNI's): a leaf type, so the pure layers
 * (the CNI rules) can return findings without importing diagnose.
 */
export type Severity = "error" | "warning";

/** One check on one node or cluster; failing ones say why in plain language and how to fix it. */
export interface Finding {
  /** Exactly one of node / cluster names the subject. */
  node?: string;
  cluster?: string;
  check: string;
  ok: boolean;
  /** How bad a failure of this check is (set on passing findings too). */
  severity: Severity;
  /** Plain language: what is, and why it matters. */
  finding: string;
  /** The exact command or inventory change that fixes it (failing findings). */
  fix?: string;
}
