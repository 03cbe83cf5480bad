/**
 * WORKERS=2: the real gateway as two processes sharing the HTTP, TCP and UDP ports. Each worker
 * has its own cache, so a name asked over many fresh connections, or from many source ports,
 * goes upstream exactly twice — once per worker — which shows the kernel handing queries to
 * both; a server cookie from one is good at the other. Without FFI, UDP stays with the first
 * worker, said in one line; all stop together, and none outlives a first worker that was
 * killed.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { makeQuery } from "../support/dns_query.ts";
import { dohFetch } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { freeDnsPort, freePort } from "../support/ports.ts";
import { TEST_ZONE } from "../support/test_zone.ts";
import { run } from "../support/tools.ts";
import { RType } from "../../dns/mod.ts";

const CONNECTIONS = 20;

async function startWorkers(upstreamPort: number, permissions: string[] = []) {
  const httpPort = freePort();
  const dnsPort = freeDnsPort();
  const gateway = await startGateway({
    env: {
      WORKERS: "2",
      HTTP_PORT: String(httpPort),
      TCP_PORT: String(dnsPort),
      UDP_PORT: String(dnsPort),
      UPSTREAMS: `udp://127.0.0.1:${upstreamPort}`,
    },
    permissions: [`--allow-run=${Deno.execPath()}`, ...permissions],
  });
  // Worker 2's lines come prefixed; the first worker's own line comes once both listen.
  await eventually(() => Promise.resolve(assert.match(gateway.stderr(), /^DoH listening on /m)));
  return { gateway, httpPort, dnsPort };
}

function sources(gateway: Gateway, door: string, name: string): string[] {
  return gateway.stdout().trim().split("\n").map((line) => JSON.parse(line))
    .filter((entry) => entry.door === door && entry.name === name)
    .map((entry) => entry.source).sort();
}

const expected = (upstream: number) => [
  ...Array(CONNECTIONS - upstream).fill("cache"),
  ...Array(upstream).fill("upstream"),
];

/** True once nothing listens on `port`: a bind without SO_REUSEPORT succeeds. */
function portFree(port: number): boolean {
  try {
    Deno.listen({ hostname: "127.0.0.1", port }).close();
    return true;
  } catch {
    return false;
  }
}

Deno.test({
  name: "two workers share the HTTP, TCP and UDP ports, each answering from its own cache",
  ...integration(["knotd", "kdig"]),
  async fn() {
    const knot = await startKnot();
    const { gateway, httpPort, dnsPort } = await startWorkers(knot.port);
    try {
      const query = makeQuery(`www.${TEST_ZONE}`, RType.A);
      for (let i = 0; i < CONNECTIONS; i++) {
        const client = Deno.createHttpClient({});
        const response = await dohFetch(gateway.url, query, { method: "GET", client });
        assert.equal(response.status, 200);
        await response.body?.cancel();
        client.close();
      }
      for (let i = 0; i < CONNECTIONS; i++) {
        await run("kdig", ["@127.0.0.1", "-p", String(dnsPort), "+tcp", `mail.${TEST_ZONE}`, "A"]);
      }
      // Each kdig asks from a port of its own, which the kernel hashes to one worker or the other.
      for (let i = 0; i < CONNECTIONS; i++) {
        const udp = await run("kdig", ["@127.0.0.1", "-p", String(dnsPort), `ns1.${TEST_ZONE}`]);
        assert.match(udp, /status: NOERROR/);
      }

      await gateway.waitForStdout(() =>
        sources(gateway, "tcp", `mail.${TEST_ZONE}`).length >= CONNECTIONS &&
        sources(gateway, "udp", `ns1.${TEST_ZONE}`).length >= CONNECTIONS
      );
      assert.deepEqual(sources(gateway, "doh", `www.${TEST_ZONE}`), expected(2));
      assert.deepEqual(sources(gateway, "tcp", `mail.${TEST_ZONE}`), expected(2));
      assert.deepEqual(sources(gateway, "udp", `ns1.${TEST_ZONE}`), expected(2));
      assert.match(gateway.stderr(), /^worker 2: DNS over TCP listening on /m);
      assert.match(gateway.stderr(), /^worker 2: DNS over UDP listening on /m);
      assert.match(gateway.stderr(), /^worker 2: UDP datagrams: .*SO_REUSEPORT/m);
    } finally {
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
    }
    assert.ok(portFree(httpPort), "no worker is left on the HTTP port");
  },
});

Deno.test({
  name: "a server cookie one worker gave proves the address at the other",
  ...integration(["knotd", "kdig"]),
  async fn() {
    const knot = await startKnot();
    const { gateway, dnsPort } = await startWorkers(knot.port);
    // An answer bigger than UDP_UNPROVEN_MAX_SIZE: cut with TC=1 unless the cookie proves.
    const ask = (...args: string[]) =>
      run("kdig", [
        ...["@127.0.0.1", "-p", String(dnsPort), "+notcp", "+ignore", "+bufsize=4096"],
        ...args,
        `big.${TEST_ZONE}`,
        "TXT",
      ]);
    try {
      const cookie = /;; COOKIE: ([0-9A-F]+)/.exec(await ask("+cookie"))?.[1];
      assert.equal(cookie?.length, 16 + 24, "client and server cookie");
      // From 20 source ports, which the kernel hashes to both workers: every answer is as big as
      // UDP_MAX_SIZE (1232) lets it be, five of the eight records, not cut to 512 bytes.
      for (let i = 0; i < CONNECTIONS; i++) {
        const answer = await ask(`+cookie=${cookie}`);
        assert.match(answer, /ANSWER: 5\b/, answer);
      }
    } finally {
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
    }
  },
});

Deno.test({
  name: "without FFI, two workers leave UDP to the first, and say so in one line each",
  ...integration(["knotd", "kdig"]),
  async fn() {
    const knot = await startKnot();
    const { gateway, dnsPort } = await startWorkers(knot.port, ["--deny-ffi"]);
    try {
      for (let i = 0; i < CONNECTIONS; i++) {
        const udp = await run("kdig", ["@127.0.0.1", "-p", String(dnsPort), `ns1.${TEST_ZONE}`]);
        assert.match(udp, /status: NOERROR/);
      }
      await gateway.waitForStdout(() =>
        sources(gateway, "udp", `ns1.${TEST_ZONE}`).length >= CONNECTIONS
      );
      assert.deepEqual(sources(gateway, "udp", `ns1.${TEST_ZONE}`), expected(1));
      const stderr = gateway.stderr();
      assert.match(
        stderr,
        /^UDP door: worker 1 alone \(SO_REUSEPORT over FFI: needs --allow-ffi\)$/m,
      );
      assert.match(stderr, /^DNS over UDP listening on /m);
      assert.match(
        stderr,
        /^worker 2: UDP door: left to worker 1 \(SO_REUSEPORT over FFI: needs --allow-ffi\)$/m,
      );
      assert.doesNotMatch(stderr, /^worker 2: DNS over UDP/m);
    } finally {
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
    }
  },
});

Deno.test({
  name: "a worker stops by itself when the first worker is killed",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const { gateway, httpPort } = await startWorkers(knot.port);
    try {
      Deno.kill(gateway.pid, "SIGKILL");
      await eventually(() =>
        Promise.resolve(assert.ok(portFree(httpPort), "worker 2 still holds the port"))
      );
    } finally {
      await gateway.stop();
      await knot.stop();
    }
  },
});

Deno.test({
  name:
    "WORKERS=2 with --allow-run for a link to Deno stops with one line naming the path to grant",
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "deno-link-" });
    try {
      await Deno.symlink(Deno.execPath(), `${dir}/deno`);
      const output = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          ...["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi"],
          `--allow-run=${dir}/deno`,
          "main.ts",
        ],
        cwd: new URL("../../", import.meta.url).pathname,
        env: { WORKERS: "2", HTTP_PORT: String(freePort()), BLOCKLIST_URLS: "" },
        stdin: "null",
        signal: AbortSignal.timeout(20_000),
      }).output();
      assert.equal(output.code, 2);
      assert.equal(
        new TextDecoder().decode(output.stderr),
        `config error: WORKERS="2": the first worker starts the others, which needs ` +
          `--allow-run=${Deno.execPath()} (Deno itself; a link to it does not count), as ` +
          "`deno task start:workers` grants\n",
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
