/**
 * The systemd unit in deploy/ must stay a valid unit that runs what `deno task start` runs,
 * from the dependency cache only, with the one capability that binds port 53.
 */
import assert from "node:assert/strict";
import { loadConfig } from "../../config.ts";
import { RESERVED_DESCRIPTORS } from "../../runtime/descriptor_limit.ts";
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

/** Where `npm install -g --prefix <prefix>` puts Deno's binary, behind `<prefix>/bin/deno`. */
const npmBinary = (prefix: string) => `${prefix}/lib/node_modules/deno/deno`;

Deno.test("the unit's comments grant --allow-run to the binary npm installs in /usr/local", async () => {
  const unit = await Deno.readTextFile(UNIT);
  const settings = await Deno.readTextFile(`${ROOT}deploy/doh-gateway.env.example`);
  const [command] = directives(unit, "ExecStart")[0].split(" ");
  assert.equal(command, "deno", "systemd finds /usr/local/bin/deno, where the README puts it");
  const granted = [...(unit + settings).matchAll(/--allow-run=(\S+?)[`,.:;)]?(\s|$)/g)]
    .map((match) => match[1]);
  assert.equal(granted.length, 2, "one in the unit, one in the settings example");
  for (const path of granted) assert.equal(path, npmBinary("/usr/local"));
});

Deno.test({
  name: "npm lays Deno out as the unit's comments say: <prefix>/bin/deno links to the binary",
  ...integration(["npm"]),
  async fn() {
    const output = await new Deno.Command("npm", {
      args: ["prefix", "--global"],
      stdin: "null",
      signal: AbortSignal.timeout(20_000),
    }).output();
    const prefix = new TextDecoder().decode(output.stdout).trim();
    const link = `${prefix}/bin/deno`;
    const installed = (() => {
      try {
        return Deno.lstatSync(link).isSymlink;
      } catch {
        return false;
      }
    })();
    if (!installed) return console.log(`skipping: no Deno installed by npm under ${prefix}`);
    assert.equal(Deno.realPathSync(link), npmBinary(prefix));
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
