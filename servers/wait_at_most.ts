/** A bound on waiting for shutdown steps: the doors draining, the HTTP server stopping. */

/** Waits for `promise` (shutdown steps), but no longer than `ms`. */
export async function waitAtMost(ms: number, promise: Promise<unknown> | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, late]);
  clearTimeout(timer);
}
