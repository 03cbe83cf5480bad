/**
 * A program, run as a process of its own so that /proc/self/fd counts only its sockets (tests
 * in parallel share a process): 2,000 queries through a UDP upstream transport, 200 at a
 * time, to a fake upstream that answers as `Deno.args[0]` says, and the descriptors counted
 * before, after the queries and after the transport closes. Prints the counts as JSON.
 *
 * - silent: no reply;
 * - half: half answered at once, a quarter after the deadline, a quarter lost, every query
 *   also getting a forged reply (wrong ID) from the upstream and one from another port;
 * - about: every reply from half to one and a half attempts late, many as the deadline fires.
 */
import { peekQuestion, RType, setId } from "../../dns/mod.ts";
import { Deadline } from "../../runtime/deadline.ts";
import { createTransport } from "../../upstream/create.ts";
import { UpstreamError } from "../../upstream/errors.ts";
import { UdpTransport } from "../../upstream/udp.ts";
import { parseUpstreamUrl } from "../../upstream/url.ts";
import { makeQuery } from "./dns_query.ts";
import { addressReply, fakeTcp, fakeUdp } from "./fake_upstreams.ts";
import { openSignalDescriptors } from "./process_sockets.ts";

export const MISSES = 2000;
/** Queries under way at once. */
const WAVE = 200;
/**
 * Each attempt's wait, by mode. "half" tells answered from lost by count, so its wait is long
 * enough that a reply sent at once arrives on a busy machine; "about" wants replies about the
 * deadline, so it is short.
 */
const ATTEMPT_MS: Record<string, number> = { silent: 40, half: 250, about: 100 };

export interface MissCounts {
  answered: number;
  timeouts: number;
  /** Queries that failed otherwise, or never settled within their budget and a second. */
  other: string[];
  before: number;
  /** Descriptors once every query settled (answered ones' sockets may wait idle). */
  afterQueries: number;
  afterClose: number;
  /** Connections the TCP fallback made (a truncated reply sends a query there). */
  tcpConnections: number;
}

type Handle = Parameters<typeof fakeUdp>[0];

function descriptors(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** Waits (a little) until the descriptors are back to `count`; the last count. */
async function settled(count: number): Promise<number> {
  let now = descriptors();
  for (let waited = 0; now > count && waited < 1000; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    now = descriptors();
  }
  return now;
}

async function run(handle: Handle, attemptMs: number): Promise<MissCounts> {
  openSignalDescriptors();
  const server = fakeUdp(handle);
  const tcp = fakeTcp(() => {});
  const name = `udp://127.0.0.1:${server.port}`;
  const transport = new UdpTransport(
    { name, host: "127.0.0.1", port: server.port },
    createTransport(parseUpstreamUrl(`tcp://127.0.0.1:${tcp.port}`)),
  );
  const counts: MissCounts = {
    answered: 0,
    timeouts: 0,
    other: [],
    before: descriptors(),
    afterQueries: 0,
    afterClose: 0,
    tcpConnections: 0,
  };
  for (let sent = 0; sent < MISSES; sent += WAVE) {
    const wave = Array.from({ length: WAVE }, async (_, i) => {
      const budget = new Deadline(attemptMs * 2);
      const attempt = new Deadline(attemptMs, budget);
      try {
        await transport.query(makeQuery(`n${sent + i}.miss.example`, RType.A), attempt);
        counts.answered++;
      } catch (error) {
        if (error instanceof UpstreamError && error.kind === "timeout") counts.timeouts++;
        else counts.other.push(String(error));
      } finally {
        attempt.dispose();
        budget.dispose();
      }
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const stuck = new Promise((resolve) =>
      timer = setTimeout(() => resolve("stuck"), attemptMs * 2 + 2000)
    );
    if (await Promise.race([Promise.all(wave), stuck]) === "stuck") {
      counts.other.push("a query of the wave never settled");
    }
    clearTimeout(timer);
  }
  counts.afterQueries = descriptors();
  transport.close();
  counts.afterClose = await settled(counts.before);
  counts.tcpConnections = tcp.connections;
  server.close();
  // Replies still on their way reach closed ports.
  await new Promise((resolve) => setTimeout(resolve, attemptMs * 3));
  await tcp.close();
  return counts;
}

const HANDLES: Record<string, (attemptMs: number) => Handle> = {
  silent: () => () => {},
  half: (attemptMs) => {
    let count = 0;
    const forger = Deno.listenDatagram({ transport: "udp", hostname: "127.0.0.1", port: 0 });
    return (query, send) => {
      const n = count++;
      const forged = addressReply(query, "6.6.6.6");
      send(setId(forged.slice(), peekQuestion(query).id ^ 1));
      send(forged, forger);
      if (n % 2 === 0) send(addressReply(query, "192.0.2.1"));
      else if (n % 4 === 1) {
        setTimeout(() => send(addressReply(query, "192.0.2.2")), attemptMs * 3);
      }
    };
  },
  about: (attemptMs) => (query, send) => {
    const delay = attemptMs * (0.5 + Math.random());
    setTimeout(() => send(addressReply(query, "192.0.2.1")), delay);
  },
};

if (import.meta.main) {
  const mode = Deno.args[0];
  const counts = await run(HANDLES[mode](ATTEMPT_MS[mode]), ATTEMPT_MS[mode]);
  console.log(JSON.stringify(counts));
  Deno.exit(0);
}
