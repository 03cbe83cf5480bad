/**
 * Headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for tests that
 * must see a page the way a person's browser does: real form posts, cookies, redirects, CSP.
 * No driver library: one WebSocket, a handful of protocol calls. Each browser gets a fresh
 * profile in a temporary directory, removed on close.
 */
import { requireBinary } from "./binaries.ts";

export interface Page {
  /** Loads `url` and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluates an expression in the page; resolves to its (JSON) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Types `text` into the element matching `selector`, as keystrokes would. */
  type(selector: string, text: string): Promise<void>;
  /** Clicks the element matching `selector` and waits for the page it loads. */
  clickAndWait(selector: string): Promise<void>;
  /** The text of the element matching `selector` ("" when there is none). */
  text(selector: string): Promise<string>;
  /** A PNG of the whole page, written to `path`. */
  screenshot(path: string): Promise<void>;
  /** Closes the page's protocol connection. */
  close(): Promise<void>;
}

export interface Browser {
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

const START_TIMEOUT_MS = 20_000;
const CALL_TIMEOUT_MS = 15_000;

export async function launchChromium(): Promise<Browser> {
  requireBinary("chromium");
  const profile = await Deno.makeTempDir({ prefix: "chromium-test-" });
  const child = new Deno.Command("chromium", {
    args: [
      "--headless=new",
      "--no-sandbox", // tests run as root, where the sandbox refuses to start
      "--disable-gpu",
      "--no-first-run",
      "--no-default-browser-check",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      "--window-size=1280,1600",
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const endpoint = await devtoolsEndpoint(child.stderr);
  const port = new URL(endpoint).port;
  return {
    async newPage() {
      const response = await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, {
        method: "PUT",
      });
      const target = await response.json();
      return await connectPage(target.webSocketDebuggerUrl);
    },
    async close() {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}

async function devtoolsEndpoint(stderr: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    seen += value;
    const match = /DevTools listening on (ws:\/\/\S+)/.exec(seen);
    if (match) {
      // Keep draining so the browser never blocks on a full pipe.
      void (async () => {
        while (!(await reader.read()).done) { /* discard */ }
      })().catch(() => {});
      return match[1];
    }
  }
  throw new Error(`chromium did not start:\n${seen}`);
}

async function connectPage(url: string): Promise<Page> {
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
    if (message.id !== undefined) {
      const call = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) call?.reject(new Error(message.error.message));
      else call?.resolve(message.result);
    } else {
      for (const listener of listeners) listener(message.method);
    }
  };
  const send = <T = Record<string, unknown>>(method: string, params: object = {}): Promise<T> => {
    const id = nextId++;
    socket.send(JSON.stringify({ id, method, params }));
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out`)), CALL_TIMEOUT_MS);
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
  };
  const loaded = () =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("page did not load")), CALL_TIMEOUT_MS);
      const listener = (method: string) => {
        if (method !== "Page.loadEventFired") return;
        listeners.delete(listener);
        clearTimeout(timer);
        resolve();
      };
      listeners.add(listener);
    });
  await send("Page.enable");
  const evaluate = async <T>(expression: string): Promise<T> => {
    const result = await send<{ result: { value: T }; exceptionDetails?: { text: string } }>(
      "Runtime.evaluate",
      { expression, returnByValue: true, awaitPromise: true },
    );
    if (result.exceptionDetails) throw new Error(`${expression}: ${result.exceptionDetails.text}`);
    return result.result.value;
  };
  const element = (selector: string) => `document.querySelector(${JSON.stringify(selector)})`;
  return {
    async goto(target) {
      const done = loaded();
      await send("Page.navigate", { url: target });
      await done;
    },
    evaluate,
    async type(selector, text) {
      await evaluate(`${element(selector)}.focus()`);
      await send("Input.insertText", { text });
    },
    async clickAndWait(selector) {
      const done = loaded();
      await evaluate(`${element(selector)}.click()`);
      await done;
    },
    text: (selector) => evaluate<string>(`${element(selector)}?.textContent ?? ""`),
    async screenshot(path) {
      const { data } = await send<{ data: string }>("Page.captureScreenshot", {
        format: "png",
        captureBeyondViewport: true,
      });
      await Deno.writeFile(path, Uint8Array.fromBase64(data));
    },
    async close() {
      if (socket.readyState === WebSocket.CLOSED) return;
      const closed = new Promise((resolve) => socket.addEventListener("close", resolve));
      socket.close();
      await closed;
    },
  };
}
