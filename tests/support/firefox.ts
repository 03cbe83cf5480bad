/**
 * Headless Firefox (Debian's `firefox-esr`) driven over WebDriver BiDi, the protocol Firefox
 * speaks on `--remote-debugging-port`: load a URL, wait for it to complete, read the page.
 * Each browser gets a fresh profile (settings from `prepare`, e.g. a user.js), removed on close.
 */
import { type BrowserOptions, launchBrowser } from "./browser_process.ts";
import { connectRemote } from "./remote_protocol.ts";

export interface FirefoxPage {
  /** Loads `url` and waits until the document is complete. */
  goto(url: string): Promise<void>;
  /** The text of the element matching `selector` ("" when there is none). */
  text(selector: string): Promise<string>;
  /** Ends the session and the browser. */
  close(): Promise<void>;
}

export async function launchFirefox(options: BrowserOptions = {}): Promise<FirefoxPage> {
  const browser = await launchBrowser({
    command: "firefox-esr",
    args: (profile) => [
      "--headless",
      "--no-remote",
      "--profile",
      profile,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    prepare: options.prepare,
    endpoint: /WebDriver BiDi listening on (ws:\/\/\S+)/,
  });
  try {
    const remote = await connectRemote(`${browser.endpoint}/session`);
    await remote.send("session.new", { capabilities: {} });
    const { contexts } = await remote.send<{ contexts: { context: string }[] }>(
      "browsingContext.getTree",
    );
    const context = contexts[0].context;
    return {
      async goto(url) {
        await remote.send("browsingContext.navigate", { context, url, wait: "complete" });
      },
      async text(selector) {
        const expression = `document.querySelector(${JSON.stringify(selector)})?.textContent ?? ""`;
        const evaluated = await remote.send<{ type: string; result?: { value?: string } }>(
          "script.evaluate",
          { expression, target: { context }, awaitPromise: false },
        );
        if (evaluated.type !== "success") throw new Error(`${expression}: ${evaluated.type}`);
        return evaluated.result?.value ?? "";
      },
      async close() {
        await remote.close().catch(() => {});
        await browser.stop();
      },
    };
  } catch (error) {
    await browser.stop();
    throw error;
  }
}
