/** A promise and the function that resolves it: a gate a test opens when it wants. */
export function deferred(): { p: Promise<void>; open: () => void } {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { p, open };
}
