/**
 * The one place meshctl turns a script into an SSH command line. Scripts are built by meshctl from typed
 * values; anything else (file contents, batches) goes in on stdin, never into the command line.
 */

/** POSIX single-quoting: `'…'`, with each `'` written as `'\''`. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/**
 * The exec request sent to sshd (which runs it with the user's login shell): `sh -c <script> meshctl
 * "$SSH_CONNECTION"`, through `sudo -n --` when `become` is set and the user is not already root. The login
 * shell expands $SSH_CONNECTION before sudo (which drops it from the environment), so the script gets, as
 * $1, the address the node sees this session come from (src/facts/sections/system.ts: lock-out checks).
 */
export function remoteCommand(script: string, become: boolean, user: string): string {
  const sh = `sh -c ${shQuote(script)} meshctl "$SSH_CONNECTION"`;
  return become && user !== "root" ? `sudo -n -- ${sh}` : sh;
}

/**
 * If a `sudo -n` command failed because sudo itself refused (password required, not in sudoers, not
 * installed), sudo's complaint; otherwise undefined. Only sudo's own first stderr line is inspected, so a
 * script's own output cannot be mistaken for it.
 */
export function sudoRefusal(code: number | null, stderr: string): string | undefined {
  if (code !== 1 && code !== 127) return undefined;
  const first = stderr.trimStart().split("\n", 1)[0]?.trim() ?? "";
  const refused =
    code === 1
      ? /^sudo: (a password is required|a terminal is required|no tty present)|is not in the sudoers file|is not allowed to (execute|run)|may not run sudo/
      : /(^|: )sudo: (command )?not found/;
  return refused.test(first) ? first : undefined;
}
