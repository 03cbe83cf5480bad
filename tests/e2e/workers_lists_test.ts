/**
 * WORKERS=2 with a list: one worker parses it and stores its build under BLOCKLIST_DIR, the
 * other maps that file (each says which in its load line); both block what it lists. When the
 * list file changes, both block the new name and not the old one. A stored build left empty by a
 * crash is built again by one (said once) and mapped by the other, and what a dead builder or
 * a removed list left is cleared.
 * Without FFI each builds its own, and the first load says why.
 */
import assert from "node:assert/strict";
import { contentId } from "../../blocklist/content_id.ts";
import { SET_FILE_VERSION } from "../../blocklist/set_file.ts";
import { SharedSets } from "../../blocklist/shared_sets.ts";
import { Rcode, RType } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { askDoh } from "../support/doh.ts";
import { eventually } from "../support/eventually.ts";
import { type Gateway, startGateway } from "../support/gateway.ts";
import { startKnot } from "../support/knot.ts";
import { freePort } from "../support/ports.ts";
import { TEST_ZONE } from "../support/test_zone.ts";

const WWW = `www.${TEST_ZONE}`;
const MAIL = `mail.${TEST_ZONE}`;
const NS1 = `ns1.${TEST_ZONE}`;
const CONNECTIONS = 20;

/**
 * Asks over `CONNECTIONS` fresh connections, which the kernel spreads over the workers: each
 * asks `name` (the rcodes come back) and an unlisted name, which goes upstream once per worker.
 */
async function askEveryWorker(gateway: Gateway, name: string): Promise<number[]> {
  const rcodes: number[] = [];
  for (let i = 0; i < CONNECTIONS; i++) {
    const client = Deno.createHttpClient({});
    try {
      rcodes.push((await askDoh(gateway.url, name, RType.A, { client })).reply.header.rcode);
      await askDoh(gateway.url, NS1, RType.A, { client });
    } finally {
      client.close();
    }
  }
  return rcodes;
}

/** How many of the unlisted name's answers came from upstream: one per worker asked. */
async function upstreamAnswers(gateway: Gateway): Promise<number> {
  const stdout = await gateway.waitForStdout((out) => out.split(NS1).length > CONNECTIONS // every answer logged
  );
  return stdout.trim().split("\n").map((line) => JSON.parse(line))
    .filter((entry) => entry.name === NS1 && entry.source === "upstream").length;
}

const loads = (gateway: Gateway, how: string) =>
  gateway.stderr().match(new RegExp(`^(worker 2: )?blocklist ads: file, .*; store ${how}`, "gm"))
    ?.length ?? 0;

Deno.test({
  name: "two workers: one builds the list's store, the other maps it; both block, and both switch",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const dir = await Deno.makeTempDir({ prefix: "workers-lists-" });
    const list = `${dir}/ads.txt`;
    await Deno.writeTextFile(list, `0.0.0.0 ${MAIL}\n`);
    const gateway = await startGateway({
      env: {
        WORKERS: "2",
        HTTP_PORT: String(freePort()),
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        BLOCKLIST_URLS: `ads=${list}`,
        BLOCKLIST_DIR: `${dir}/state`,
      },
      permissions: [`--allow-run=${Deno.execPath()}`],
    });
    try {
      await eventually(() => Promise.resolve(assert.equal(loads(gateway, "(built|mapped)"), 2)));
      assert.equal(loads(gateway, "built"), 1, gateway.stderr());
      assert.equal(loads(gateway, "mapped"), 1, gateway.stderr());
      assert.deepEqual(
        await askEveryWorker(gateway, MAIL),
        Array(CONNECTIONS).fill(Rcode.NXDOMAIN),
      );
      assert.equal(await upstreamAnswers(gateway), 2, "both workers were asked");

      // An editor saving the file: each worker reads it again; one builds, the other maps.
      await Deno.writeTextFile(`${list}.tmp`, `0.0.0.0 ${WWW}\n`);
      await Deno.rename(`${list}.tmp`, list);
      await eventually(() => Promise.resolve(assert.equal(loads(gateway, "(built|mapped)"), 4)));
      assert.equal(loads(gateway, "built"), 2, gateway.stderr());
      assert.deepEqual(await askEveryWorker(gateway, WWW), Array(CONNECTIONS).fill(Rcode.NXDOMAIN));
      assert.deepEqual(await askEveryWorker(gateway, MAIL), Array(CONNECTIONS).fill(Rcode.NOERROR));
      const stored = [...Deno.readDirSync(`${dir}/state/sets`)].map((entry) => entry.name)
        .filter((name) => !name.endsWith(".lock"));
      assert.equal(stored.length, 1, `the old build's file is gone: ${stored}`);
    } finally {
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "two workers over a stored build that is empty, a dead builder's leftovers and a gone list's file: both load and block",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const dir = await Deno.makeTempDir({ prefix: "workers-lists-" });
    const text = `0.0.0.0 ${MAIL}\n`;
    await Deno.writeTextFile(`${dir}/ads.txt`, text);
    // What a crash while the file was written leaves (an empty file renamed into place, a
    // temporary file, the lock file), and a list removed from the settings before a restart.
    const sets = `${dir}/state/sets`;
    await Deno.mkdir(sets, { recursive: true });
    const id = await contentId(new TextEncoder().encode(text));
    const path = new SharedSets(`${dir}/state`).pathOf("ads", "block", id);
    await Deno.writeFile(path, new Uint8Array(), { mode: 0o444 });
    await Deno.writeFile(`${path}.${crypto.randomUUID()}.tmp`, new Uint8Array(4096));
    await Deno.writeFile(`${sets}/ads+block.lock`, new Uint8Array());
    await Deno.writeFile(
      `${sets}/gone+block-BBBBBBBBBBBBBBBB.v${SET_FILE_VERSION}`,
      new Uint8Array(64),
    );
    const gateway = await startGateway({
      env: {
        WORKERS: "2",
        HTTP_PORT: String(freePort()),
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        BLOCKLIST_URLS: `ads=${dir}/ads.txt`,
        BLOCKLIST_DIR: `${dir}/state`,
      },
      permissions: [`--allow-run=${Deno.execPath()}`],
    });
    try {
      await eventually(() => Promise.resolve(assert.equal(loads(gateway, "(built|mapped)"), 2)));
      assert.match(
        gateway.stderr(),
        /^(worker 2: )?blocklist ads: file, 1 block, .*; store built, the stored one refused: it is empty$/m,
      );
      // One builds it again; the other waits for that build and maps it.
      assert.equal(loads(gateway, "built"), 1, gateway.stderr());
      assert.equal(loads(gateway, "mapped"), 1, gateway.stderr());
      assert.deepEqual(
        await askEveryWorker(gateway, MAIL),
        Array(CONNECTIONS).fill(Rcode.NXDOMAIN),
      );
      await eventually(() => {
        const left = [...Deno.readDirSync(sets)].map((entry) => entry.name).sort();
        assert.deepEqual(left, [path.slice(sets.length + 1), "ads+block.lock"]);
        return Promise.resolve();
      });
    } finally {
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "without FFI a gateway builds its own store and says why with its first load only",
  ...integration(["knotd"]),
  async fn() {
    const knot = await startKnot();
    const dir = await Deno.makeTempDir({ prefix: "workers-lists-" });
    await Deno.writeTextFile(`${dir}/ads.txt`, `0.0.0.0 ${MAIL}\n`);
    await Deno.writeTextFile(`${dir}/more.txt`, `0.0.0.0 ${WWW}\n`);
    const gateway = await startGateway({
      env: {
        UPSTREAMS: `udp://127.0.0.1:${knot.port}`,
        BLOCKLIST_URLS: `ads=${dir}/ads.txt,more=${dir}/more.txt`,
        BLOCKLIST_DIR: `${dir}/state`,
      },
      permissions: ["--deny-ffi"],
    });
    try {
      await eventually(() =>
        Promise.resolve(assert.match(gateway.stderr(), /^blocklist more: file, /m))
      );
      assert.match(
        gateway.stderr(),
        /^blocklist ads: file, 1 block, .*; store built, not shared: mapping files needs --allow-ffi$/m,
      );
      assert.match(gateway.stderr(), /^blocklist more: file, 1 block, 0 allow entries, \d+ ms$/m);
      assert.equal((await askDoh(gateway.url, MAIL)).reply.header.rcode, Rcode.NXDOMAIN);
    } finally {
      assert.equal(await gateway.stop(), 0);
      await knot.stop();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
