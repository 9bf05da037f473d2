/** The lab's non-root sudo user: created (or checked, when it exists) with a sudoers file, both recorded. */
import { chmodSync, chownSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { LabError } from "./errors.js";
import { SUDOERS_FILE } from "./host.js";
import { SUDO_USER } from "./plan.js";
import type { LabState } from "./state.js";
import { run, which } from "./sys.js";

export async function ensureSudoUser(st: LabState, home: string, save: () => void): Promise<void> {
  const userHome = join(home, SUDO_USER);
  const pw = await run("getent", ["passwd", SUDO_USER], { allowFail: true });
  if (pw.code === 0) {
    const sh = await run("getent", ["shadow", SUDO_USER], { allowFail: true });
    const hash = sh.stdout.split(":")[1] ?? "";
    if (hash.startsWith("!")) {
      throw new LabError(
        `user ${SUDO_USER} exists but is locked (password field starts with "!"), so sshd (UsePAM no) refuses its keys: unlock it with \`usermod -p '*' ${SUDO_USER}\` or remove it`,
      );
    }
    st.user = { name: SUDO_USER, created: false };
  } else {
    // '*': no password, but not locked (sshd refuses locked accounts when PAM is off).
    await run("useradd", [
      "--system",
      "--no-create-home",
      "--home-dir",
      userHome,
      "--shell",
      "/bin/bash",
      "--comment",
      "meshctl lab",
      "--password",
      "*",
      SUDO_USER,
    ]);
    st.user = { name: SUDO_USER, created: true };
    save();
    mkdirSync(userHome, { recursive: true, mode: 0o755 });
    const ids = (await run("id", ["-u", SUDO_USER])).stdout.trim();
    const gid = (await run("id", ["-g", SUDO_USER])).stdout.trim();
    chownSync(userHome, Number(ids), Number(gid));
  }
  st.sudoersFile = SUDOERS_FILE;
  save();
  mkdirSync(dirname(SUDOERS_FILE), { recursive: true, mode: 0o755 });
  writeFileSync(
    SUDOERS_FILE,
    `# meshctl lab: the lab user may run anything without a password (removed by \`meshctl lab down\`)\n${SUDO_USER} ALL=(ALL:ALL) NOPASSWD: ALL\n`,
    { mode: 0o440 },
  );
  chmodSync(SUDOERS_FILE, 0o440);
  if (which("visudo")) await run("visudo", ["-c", "-q", "-f", SUDOERS_FILE]);
}
