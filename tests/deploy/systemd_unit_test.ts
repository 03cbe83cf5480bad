/**
 * The systemd unit in deploy/ must stay a valid unit that runs what `deno task start` runs,
 * from the dependency cache only, with the one capability that binds port 53.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { RESERVED_DESCRIPTORS } from "../../servers/descriptor_limit.ts";
import { integration } from "../support/binaries.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const UNIT = `${ROOT}deploy/doh-gateway.service`;

const directives = (text: string, key: string) =>
  text.split("\n").filter((line) => line.startsWith(`${key}=`)).map((line) =>
    line.slice(key.length + 1)
  );

Deno.test("the systemd unit runs main.ts with the start task's permissions, from the cache only", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const tasks = JSON.parse(await Deno.readTextFile(`${ROOT}deno.json`)).tasks;
  const start = tasks.start.split(" ").filter((word: string) => word.startsWith("--"));
  const [exec] = directives(unit, "ExecStart");
  const flags = exec.split(" ").filter((word) => word.startsWith("--"));
  assert.deepEqual(flags.filter((flag) => flag !== "--cached-only"), start);
  assert.ok(flags.includes("--cached-only"), "no download at start");
  assert.ok(exec.endsWith(" main.ts"));
  assert.deepEqual(directives(unit, "AmbientCapabilities"), ["CAP_NET_BIND_SERVICE"]);
  assert.deepEqual(directives(unit, "CapabilityBoundingSet"), ["CAP_NET_BIND_SERVICE"]);
  assert.deepEqual(directives(unit, "RestartPreventExitStatus"), ["2"]);
});

Deno.test({
  name: "systemd-analyze finds nothing wrong with the unit",
  ...integration(["systemd-analyze"]),
  async fn() {
    const output = await new Deno.Command("systemd-analyze", {
      args: ["verify", UNIT],
      stdin: "null",
    }).output();
    const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
    assert.ok(output.success, text);
    assert.equal(text.trim(), "");
  },
});

Deno.test("the systemd unit's LimitNOFILE holds the default connection caps of every door", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const [limit] = directives(unit, "LimitNOFILE");
  const tls = { TLS_CERT: "cert.pem", TLS_KEY: "key.pem" };
  const config = loadConfig({ TCP_PORT: "53", DOT_PORT: "853", ...tls }, { udpAvailable: true });
  const connections = config.httpMaxConnections + 2 * config.dns.tcpMaxConnections;
  assert.ok(
    connections + RESERVED_DESCRIPTORS <= Number(limit),
    `${connections} connections and ${RESERVED_DESCRIPTORS} more in LimitNOFILE=${limit}`,
  );
});
