/**
 * One WebSocket speaking a browser's remote protocol. The DevTools protocol (Chromium) and
 * WebDriver BiDi (Firefox) have the same shape — commands `{id, method, params}` answered
 * under the same id, events `{method, params}` without one — so one small client drives both.
 */

export interface RemoteProtocol {
  /** Sends a command; resolves to its result, rejects with the browser's error or a timeout. */
  send<T = Record<string, unknown>>(method: string, params?: object): Promise<T>;
  /** Resolves when the next event named `method` arrives. Ask before causing it. */
  nextEvent(method: string): Promise<void>;
  close(): Promise<void>;
}

const CALL_TIMEOUT_MS = 15_000;

export async function connectRemote(url: string): Promise<RemoteProtocol> {
  const socket = new WebSocket(url);
  await new Promise((resolve, reject) => {
    socket.onopen = resolve;
    socket.onerror = () => reject(new Error(`cannot connect to ${url}`));
  });
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Set<(method: string) => void>();
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.id === undefined) {
      for (const listener of listeners) listener(message.method);
      return;
    }
    const call = pending.get(message.id);
    pending.delete(message.id);
    // DevTools: {error: {message}}; BiDi: {type: "error", error, message}.
    if (message.error !== undefined) {
      call?.reject(new Error(message.message ?? message.error.message ?? message.error));
    } else call?.resolve(message.result);
  };
  return {
    send<T>(method: string, params: object = {}) {
      const id = nextId++;
      socket.send(JSON.stringify({ id, method, params }));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${method} timed out`));
        }, CALL_TIMEOUT_MS);
        pending.set(id, {
          resolve: (value) => {
            clearTimeout(timer);
            resolve(value as T);
          },
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      });
    },
    nextEvent(method) {
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          listeners.delete(listener);
          reject(new Error(`no ${method} event within ${CALL_TIMEOUT_MS} ms`));
        }, CALL_TIMEOUT_MS);
        const listener = (name: string) => {
          if (name !== method) return;
          listeners.delete(listener);
          clearTimeout(timer);
          resolve();
        };
        listeners.add(listener);
      });
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.addEventListener("close", resolve));
      socket.close();
      await closed;
    },
  };
}
