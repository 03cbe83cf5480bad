/**
 * A headless browser process for tests: a fresh profile in a temporary directory, which is
 * also the browser's HOME (Chromium on Linux reads its certificate store from
 * `$HOME/.pki/nssdb`, and nothing of the machine's user may leak in), started and waited
 * for until it prints where its remote protocol listens; killed and removed on stop.
 */
import { requireBinary } from "./binaries.ts";

export interface BrowserProcess {
  /** The first match of `endpoint` in the browser's stderr. */
  endpoint: string;
  stop(): Promise<void>;
}

export interface BrowserLaunch {
  command: string;
  /** Command-line arguments, given the profile directory. */
  args: (profile: string) => string[];
  /** Fills the fresh profile (settings, certificate store) before the browser starts. */
  prepare?: (profile: string) => Promise<void>;
  /** Matches the line that says where the remote protocol listens; group 1 is the URL. */
  endpoint: RegExp;
}

/** What a test may ask of any browser it launches. */
export type BrowserOptions = Pick<BrowserLaunch, "prepare">;

const START_TIMEOUT_MS = 20_000;

export async function launchBrowser(launch: BrowserLaunch): Promise<BrowserProcess> {
  requireBinary(launch.command);
  const profile = await Deno.makeTempDir({ prefix: `${launch.command}-test-` });
  await launch.prepare?.(profile);
  const child = new Deno.Command(launch.command, {
    args: launch.args(profile),
    env: { HOME: profile },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  const stop = async () => {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await child.status;
    // The browser's own children may hold the pipe open a while longer: no read outlives stop.
    await stderr.cancel().catch(() => {});
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  };
  try {
    return { endpoint: await endpoint(launch, stderr), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function endpoint(launch: BrowserLaunch, reader: ReadableStreamDefaultReader<string>) {
  // A browser that hangs silently ends the wait too: cancelling ends the read.
  const timer = setTimeout(() => void reader.cancel().catch(() => {}), START_TIMEOUT_MS);
  let seen = "";
  try {
    for (let read = await reader.read(); !read.done; read = await reader.read()) {
      seen += read.value;
      const match = launch.endpoint.exec(seen);
      if (match) {
        clearTimeout(timer);
        // Keep draining so the browser never blocks on a full pipe.
        void (async () => {
          while (!(await reader.read()).done) { /* discard */ }
        })().catch(() => {});
        return match[1];
      }
    }
  } finally {
    clearTimeout(timer);
  }
  throw new Error(`${launch.command} did not start within ${START_TIMEOUT_MS} ms:\n${seen}`);
}
