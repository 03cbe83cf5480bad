import assert from "node:assert/strict";
import { eventually } from "../support/eventually.ts";
import { healthStatus, runGateway, startGateway } from "../support/gateway.ts";

Deno.test("the gateway starts with no settings but a port, and serves /health", async () => {
  const gateway = await startGateway({ env: {} });
  try {
    assert.match(gateway.stderr(), /DoH listening on http:\/\/127\.0\.0\.1:\d+\/dns-query/);
    assert.match(gateway.stderr(), /upstreams: udp:\/\/9\.9\.9\.9:53/);
    const response = await fetch(`${gateway.url}/health`);
    assert.deepEqual(await response.json(), { status: "ok" });
  } finally {
    assert.equal(await gateway.stop(), 0, "SIGTERM should end the gateway with exit code 0");
  }
});

Deno.test("a bad setting stops startup with exit code 2 and one line naming it", async () => {
  const { code, stderr, stdout } = await runGateway({ HTTP_PORT: "eighty" });
  assert.equal(code, 2);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    'config error: HTTP_PORT="eighty": expected a whole number from 0 to 65535\n',
  );
});

Deno.test("a Deno older than deno.json's oldestDeno stops startup with exit code 2 and one line", async () => {
  const root = new URL("../../", import.meta.url);
  const project = JSON.parse(await Deno.readTextFile(new URL("deno.json", root)));
  const dir = await Deno.makeTempDir({ prefix: "oldest-deno-" });
  try {
    // The gateway as it is, but reading (through an import map) a deno.json that wants Deno 99.
    const wanting = `${dir}/deno.json`;
    await Deno.writeTextFile(wanting, JSON.stringify({ ...project, oldestDeno: "99.0.0" }));
    const config = `${dir}/config.json`;
    const imports = { ...project.imports, [new URL("deno.json", root).href]: `file://${wanting}` };
    await Deno.writeTextFile(config, JSON.stringify({ imports }));
    const { code, stderr, stdout } = await runGateway({ HTTP_PORT: "0" }, config);
    assert.equal(code, 2);
    assert.equal(stdout, "");
    assert.equal(
      stderr,
      `Deno ${Deno.version.deno} is too old: the gateway needs Deno 99.0.0 or newer ` +
        `(deno.json "oldestDeno")\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an unreadable certificate stops startup with one line naming the variable", async () => {
  const { code, stderr } = await runGateway({
    HTTP_PORT: "0",
    TLS_CERT: "/nonexistent/cert.pem",
    TLS_KEY: "/nonexistent/key.pem",
  });
  assert.equal(code, 2);
  assert.match(stderr, /^config error: TLS_CERT="\/nonexistent\/cert.pem": cannot read the file/);
  assert.equal(stderr.trim().split("\n").length, 1);
});

Deno.test("a list entry without a location, or a list file that is not there, stops startup", async () => {
  const empty = await runGateway({ HTTP_PORT: "0", BLOCKLIST_URLS: "ads=" });
  assert.equal(empty.code, 2);
  assert.equal(
    empty.stderr,
    'config error: BLOCKLIST_URLS="ads=": "ads=" names no URL or file after "="\n',
  );
  const missing = await runGateway({
    HTTP_PORT: "0",
    ALLOWLIST_URLS: "mine=/nonexistent/allow.txt",
  });
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /^config error: ALLOWLIST_URLS: the list "mine" is the file "\/nonexistent\/allow\.txt", which cannot be read \(No such file/,
  );
  assert.equal(missing.stderr.trim().split("\n").length, 1);
});

Deno.test("a list URL that cannot be reached is a warning: the gateway starts and answers", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  const gateway = await startGateway({
    env: {
      BLOCKLIST_URLS: `far=http://127.0.0.1:${port}/list.txt`,
      BLOCKLIST_DOWNLOAD_TIMEOUT_MS: "500",
    },
  });
  try {
    // It answers, unfiltered, and says so where a person or a monitor looks.
    await eventually(async () => {
      const response = await fetch(`${gateway.url}/health`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        status: "degraded",
        problems: [
          "no blocklist loaded: 1 list is configured and none has loaded, so nothing is blocked (see the log)",
        ],
      });
    });
  } finally {
    assert.equal(await gateway.stop(), 0);
  }
});

Deno.test("/health is ok again once a block list is in", async () => {
  const dir = await Deno.makeTempDir({ prefix: "health-lists-" });
  await Deno.writeTextFile(`${dir}/ads.txt`, "ads.example\n");
  const gateway = await startGateway({ env: { BLOCKLIST_URLS: `ads=${dir}/ads.txt` } });
  try {
    await eventually(async () => {
      assert.deepEqual(await (await fetch(`${gateway.url}/health`)).json(), { status: "ok" });
    });
  } finally {
    assert.equal(await gateway.stop(), 0);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a port already in use stops startup with one line naming it", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const { port } = listener.addr as Deno.NetAddr;
    const { code, stderr } = await runGateway({ HTTP_PORT: String(port) });
    assert.equal(code, 2);
    assert.match(stderr, new RegExp(`^config error: HOST="127.0.0.1" HTTP_PORT="${port}": `));
    assert.equal(stderr.trim().split("\n").length, 1);
  } finally {
    listener.close();
  }
});

Deno.test("without UDP (as on Deno Deploy) the default upstream is Quad9 DoH and udp:// is refused", async () => {
  const gateway = await startGateway({ env: {}, deployLike: true });
  try {
    assert.match(gateway.stderr(), /upstreams: https:\/\/dns\.quad9\.net:443\/dns-query\n/);
    assert.equal(await healthStatus(gateway), 200);
  } finally {
    assert.equal(await gateway.stop(), 0);
  }
  await assert.rejects(
    startGateway({ env: { UPSTREAMS: "udp://127.0.0.1:53" }, deployLike: true }),
    /config error: UPSTREAMS="udp:\/\/127.0.0.1:53": .* needs UDP, which this runtime lacks/,
  );
});
