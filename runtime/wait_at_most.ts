/**
 * Waits for `promise`, but no longer than `ms`: the bound on shutdown steps (the doors draining,
 * the HTTP server stopping), which main.ts needs with or without the classic doors.
 */
export async function waitAtMost(ms: number, promise: Promise<unknown> | undefined): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([promise, late]);
  clearTimeout(timer);
}
