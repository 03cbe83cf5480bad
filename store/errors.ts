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
 * `promise`, or a StoreError once `ms` have passed. Every store call goes through here: a
 * Redis that hangs must never hang a DNS answer.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreError(`redis ${operation} timed out after ${ms} ms`)),
      ms,
    );
  });
  const guarded = promise.catch((error) => {
    if (error instanceof StoreError) throw error;
    const reason = error instanceof Error ? error.message.split("\n", 1)[0] : String(error);
    throw new StoreError(`redis ${operation} failed: ${reason}`, { cause: error });
  });
  return Promise.race([guarded, timeout]).finally(() => clearTimeout(timer));
}
