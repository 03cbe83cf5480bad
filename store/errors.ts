/**
 * Redis trouble as one error type with a one-line message naming the operation, so callers
 * (cache tier, blocklist) can count it and carry on without knowing which client is in use.
 */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StoreError";
  }
}

/**
 * Runs `work`, and settles with its result or a StoreError: "redis GET timed out after <ms> ms"
 * once `ms` have passed, "redis GET failed: <first line>" when it throws (synchronously too).
 * Every store call goes through here: a Redis that hangs must never hang a DNS answer, and
 * nothing but StoreError may reach the caller. `signal` is aborted at the timeout, so that work
 * still waiting to be sent is not sent; `onTimeout` lets a client drop a connection that
 * stopped answering.
 */
export function bounded<T>(
  operation: string,
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  onTimeout?: () => void,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const abandoned = new AbortController();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timedOut(operation, ms);
      reject(error);
      abandoned.abort(error);
      try {
        onTimeout?.();
      } catch {
        // Best effort: the caller already has its StoreError.
      }
    }, ms);
  });
  let running: Promise<T>;
  try {
    running = work(abandoned.signal);
  } catch (error) {
    running = Promise.reject(error);
  }
  const guarded = running.catch((error) => {
    throw toStoreError(operation, ms, error);
  });
  return Promise.race([guarded, timeout]).finally(() => clearTimeout(timer));
}

function timedOut(operation: string, ms: number): StoreError {
  return new StoreError(`redis ${operation} timed out after ${ms} ms`);
}

function toStoreError(operation: string, ms: number, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  // A client that aborts its own request at our deadline (fetch with a timeout signal).
  if (error instanceof DOMException && error.name === "TimeoutError") {
    return new StoreError(timedOut(operation, ms).message, { cause: error });
  }
  const reason = error instanceof Error ? error.message : String(error);
  return new StoreError(`redis ${operation} failed: ${firstLine(reason)}`, { cause: error });
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0].trim();
  return line.length > 200 ? `${line.slice(0, 200)}\u2026` : line;
}
