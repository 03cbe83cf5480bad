/**
 * Headless Chromium (Debian's `chromium`) driven over the DevTools protocol, for tests that
 * must see a page the way a person's browser does: real form posts, cookies, redirects, CSP,
 * secure DNS. No driver library: one WebSocket, a handful of protocol calls. Each browser gets
 * a fresh profile in a temporary directory, removed on close.
 */
import { type BrowserOptions, launchBrowser } from "./browser_process.ts";
import { connectRemote } from "./remote_protocol.ts";

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

export async function launchChromium(options: BrowserOptions = {}): Promise<Browser> {
  const browser = await launchBrowser({
    command: "chromium",
    args: (profile) => [
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
    prepare: options.prepare,
    endpoint: /DevTools listening on (ws:\/\/\S+)/,
  });
  const port = new URL(browser.endpoint).port;
  return {
    async newPage() {
      const response = await fetch(`http://127.0.0.1:${port}/json/new?about:blank`, {
        method: "PUT",
      });
      const target = await response.json();
      return await connectPage(target.webSocketDebuggerUrl);
    },
    close: browser.stop,
  };
}

async function connectPage(url: string): Promise<Page> {
  const remote = await connectRemote(url);
  const send = remote.send;
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
      const done = remote.nextEvent("Page.loadEventFired");
      await send("Page.navigate", { url: target });
      await done;
    },
    evaluate,
    async type(selector, text) {
      await evaluate(`${element(selector)}.focus()`);
      await send("Input.insertText", { text });
    },
    async clickAndWait(selector) {
      const done = remote.nextEvent("Page.loadEventFired");
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
    close: remote.close,
  };
}
