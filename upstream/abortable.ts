/**
 * Waiting on a promise no longer than a signal allows. Transports use it so that no query
 * outlives its budget even when the thing it waits on (a connect, a reply) never settles; the
 * abandoned promise keeps a handler, so its later rejection is never "unhandled".
 */
export function abortable<T>(
  promise: Promise<T>,
  signal: AbortSignal,
  onAbort: () => Error,
): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(onAbort());
  }
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener("abort", abort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", abort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener("abort", abort);
        reject(error);
      },
    );
  });
}
