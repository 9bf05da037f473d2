/**
 * Commit-confirmed (as Junos `commit confirmed`, deploy-rs' magic rollback), node side and controller side.
 *
 * Node: `arm <INITIAL> <WINDOW>` (after `journal`) starts a detached timer — its own session (setsid), none
 * of the driver's file descriptors, so neither a cut SSH connection nor a killed driver stops it. The
 * timer counts INITIAL seconds (the window plus the change set's own limits); the driver's `readback`
 * restarts the count at WINDOW. `confirm` disarms it. If the count runs out first, the timer ends the
 * driver (and a step it runs), takes the lock and replays the journal: the node reverts by itself.
 * Who reverts is decided by an atomic rename of `armed` (confirm, the driver at end of input, a later
 * driver finding a leftover, or the timer): exactly one of them wins.
 *
 * Controller: after the read-back, a NEW TCP connection to the node's SSH port must succeed before the
 * confirm is sent on the existing session (one round trip; a full SSH handshake per node would cost as
 * much as the whole run's floor): it proves that the changed routes and firewall still let new
 * connections reach the node, in both directions.
 */
import { connect } from "node:net";

/** Default `--confirm-timeout` (seconds): see README "Commit-confirmed" for how it was chosen. */
export const CONFIRM_TIMEOUT_SECONDS = 30;
/** How long the controller's new TCP connection to the node's SSH port may take. */
export const PROBE_TIMEOUT_MS = 5_000;

/** Shell functions for the driver's library (D, J and serve are defined there). */
export const REVERT_FUNCTIONS = String.raw`# revert_after INITIAL DRIVER_PID: the commit-confirmed timer (runs detached, see src/exec/confirm.ts)
revert_after() {
  left=$1
  while [ "$left" -gt 0 ]; do
    sleep 1; left=$((left-1))
    [ -f "$D/armed" ] || exit 0
    if [ -f "$D/rearm" ]; then read -r left <"$D/rearm" || left=0; rm -f "$D/rearm"; fi
  done
  mv "$D/armed" "$D/reverting" 2>/dev/null || exit 0
  mv "$J" "$J.reverting" 2>/dev/null
  kill -KILL "$2" 2>/dev/null
  if [ -f "$D/step" ]; then read -r sp <"$D/step" && kill -KILL "-$sp" 2>/dev/null; fi
  exec 9>>"$D/lock"; flock -w 300 9 || exit 1
  revert_now "$J.reverting"
}
# revert_now JOURNAL: replays it (forced) and leaves the time of the revert in $D/reverted
revert_now() {
  if [ -f "$1" ]; then failed=0; serve <"$1" >/dev/null 2>&1; fi
  rm -rf "$1" "$D/reverting" "$D/timer" "$D/rearm" "$D/saved"
  date -u +%s >"$D/reverted"
}
# takeover: at start, under the lock, an unconfirmed change set of a session that is gone is reverted now
takeover() {
  if [ -e "$D/armed" ] && mv "$D/armed" "$D/reverting" 2>/dev/null; then
    if [ -f "$D/timer" ]; then read -r op <"$D/timer" && kill -TERM "-$op" 2>/dev/null; fi
    revert_now "$J"
  fi
}
# disarm: 0 when this driver took the pending revert away from its timer
disarm() {
  [ -n "$tpid" ] && mv "$D/armed" "$D/disarmed" 2>/dev/null || return 1
  kill -TERM "-$tpid" 2>/dev/null; rm -f "$D/disarmed" "$D/rearm" "$D/timer"; tpid=
}`;

/** The serve() cases for `arm` and `confirm` (request words: mode=$1, tool=$2, n=$3). */
export const CONFIRM_CASES = String.raw`    arm)
      case "$tool$n" in ''|*[!0-9]*) fail "bad arm request" ;; esac
      rm -f "$D/rearm"; : >"$D/armed"; win=$n
      setsid sh -c "$MESHCTL_LIB
revert_after $tool $$" meshctl-revert </dev/null >/dev/null 2>&1 9>&- &
      tpid=$!; echo "$tpid" >"$D/timer"; echo "@@ok" ;;
    confirm)
      if disarm; then echo "@@ok"; else fail "too late to confirm: the node is reverting the change set by itself"; fi ;;`;

/** True when a new TCP connection to host:port succeeds within `timeoutMs`. */
export function probeTcp(host: string, port: number, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    const done = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}
