/**
 * A peer program (knotd, dnsdist…) run in the foreground for a test: its output collected for
 * error messages, and one idempotent stop that kills it, waits for it, and removes its
 * temporary directory.
 */
export interface PeerProcess {
  pid: number;
  /** stdout and stderr so far. */
  log(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

export function spawnPeer(command: string, args: string[], dir: string): PeerProcess {
  const child = new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const collect = (stream: ReadableStream<Uint8Array>) =>
    stream.pipeThrough(new TextDecoderStream()).pipeTo(
      new WritableStream({ write: (chunk) => void (log += chunk) }),
    );
  const collected = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let exited = false;
  const status = child.status.finally(() => (exited = true));
  let stopped: Promise<void> | undefined;
  return {
    pid: child.pid,
    log: () => log,
    exited: () => exited,
    stop: () =>
      stopped ??= (async () => {
        if (!exited) {
          try {
            child.kill("SIGKILL");
          } catch {
            // already gone
          }
        }
        await status;
        await collected;
        await Deno.remove(dir, { recursive: true });
      })(),
  };
}
