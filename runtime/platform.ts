/**
 * What the platform under the gateway is and offers: a Deno new enough, and UDP or not.
 *
 * The oldest Deno the gateway runs on, kept in one place: deno.json's "oldestDeno". Deno
 * Deploy runs a long-term-support Deno, not the newest; on that version the code type-checks
 * and `deno task test:deploy` passes (.ci/run checks both). An older runtime is refused at
 * startup with one line, before a missing API can fail some query later.
 */
import project from "../deno.json" with { type: "json" };

export const OLDEST_DENO: string = project.oldestDeno;

/**
 * Whether Deno `version` ("2.9.6", "2.10.0-rc.1", "2.9.6+a1b2c3") is `oldest` or newer; only
 * major, minor and patch count. A version this cannot read passes: the check refuses only
 * what it knows to be too old.
 */
export function isAtLeast(version: string, oldest: string): boolean {
  const have = numbers(version);
  const need = numbers(oldest);
  if (have === undefined || need === undefined) return true;
  for (let i = 0; i < 3; i++) {
    if (have[i] !== need[i]) return have[i] > need[i];
  }
  return true;
}

/** The one line that refuses a runtime older than `OLDEST_DENO`, or undefined when it is not. */
export function runtimeTooOld(version: string): string | undefined {
  if (isAtLeast(version, OLDEST_DENO)) return undefined;
  return `Deno ${version} is too old: the gateway needs Deno ${OLDEST_DENO} or newer ` +
    `(deno.json "oldestDeno")`;
}

function numbers(version: string): [number, number, number] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

/**
 * Deno Deploy has no UDP and takes no unstable flags: the UDP door and UDP upstreams are offered
 * only where a socket opens.
 */
let udp: boolean | undefined;

/** True when UDP sockets can be opened here (checked once, by opening one). */
export function udpAvailable(): boolean {
  if (udp === undefined) {
    try {
      const socket = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
      socket.close();
      udp = true;
    } catch {
      udp = false;
    }
  }
  return udp;
}
