/**
 * Where meshctl's boot persistence lives on a node (rendered by src/plan/persist.ts, read by the facts'
 * `persist` section, written only by the driver, which refuses any other path). Pure.
 */
export const UNIT_DIR = "/etc/systemd/system";
export const WANTS_DIR = `${UNIT_DIR}/multi-user.target.wants`;
export const BOOT_DIR = "/var/lib/meshctl";

export const unitName = (device: string): string => `meshctl-${device}.service`;
export const unitPath = (device: string): string => `${UNIT_DIR}/${unitName(device)}`;
export const wantsPath = (device: string): string => `${WANTS_DIR}/${unitName(device)}`;
/** `@` cannot occur in an interface name, so one device's files never match another's. */
export const bootFilePrefix = (device: string): string => `${BOOT_DIR}/${device}@`;
