/**
 * Long work on the event loop's thread, cut into slices: parsing and indexing a million-line
 * list in one go stalled every query arriving meanwhile (a fresh gateway's first answers, and
 * answers during a refresh). The work is written as a generator that yields often; here it
 * runs for `sliceMs` at a time, then lets the loop answer what waits (`deno task
 * bench:blocklist`: the longest event-loop pause while a 1M-line list loads).
 */

/**
 * Runs `steps` to its end at once (CLI, tests, small lists). A step that yields a promise (a
 * module to load) cannot be waited for here: the generator is resumed and decides what that
 * means (parse.ts throws, asking for its module to be loaded first).
 */
export function runAtOnce<T>(steps: Generator<unknown, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
}

/** Default slice: short against a query's budget, long against a task switch. */
export const SLICE_MS = 8;

/**
 * Runs `steps` in slices of about `sliceMs`, giving the event loop a turn between slices, and
 * waiting for any promise a step yields.
 */
export async function runInSlices<T>(steps: Generator<unknown, T>, sliceMs = SLICE_MS): Promise<T> {
  let sliceEnd = performance.now() + sliceMs;
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    // A promise yielded is work the steps wait for (a module to load): waited for here.
    if (step.value instanceof Promise) {
      await step.value;
      sliceEnd = performance.now() + sliceMs;
    } else if (performance.now() >= sliceEnd) {
      await nextTask();
      sliceEnd = performance.now() + sliceMs;
    }
  }
}

/** A macrotask turn: timers and I/O callbacks that wait run before the promise settles. */
function nextTask(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
