/**
 * What the README states of the code is what the code does: the Settings table has a row for
 * every variable config.ts reads (and none it does not read), each literal default is what an
 * unset variable gives, /metrics has the families the README lists, and Performance quotes the
 * committed bench/results/all.md. The README is edited by many hands at once; these are the
 * facts that drifted.
 */
import assert from "node:assert/strict";
import { type Config, type Env, loadConfig } from "../config.ts";
import { Metrics } from "../observe/metrics.ts";
import { readmeSection, readReadme } from "./support/readme_blocks.ts";

const README = await readReadme();

/** Settings that switch every part on, so that config.ts reads every variable it has. */
const EVERY_PART: Env = {
  TLS_CERT: "cert.pem",
  TLS_KEY: "key.pem",
  REDIS_URL: "redis://127.0.0.1:6379",
  UDP_PORT: "53",
  TCP_PORT: "53",
  DOT_PORT: "853",
};

const CONTEXT = { udpAvailable: true, cwd: "/srv/gateway" };

/** The config, without the instance name (random where INSTANCE_NAME is unset). */
function configOf(env: Env): Omit<Config, "instanceName"> {
  const { instanceName: _random, ...config } = loadConfig(env, CONTEXT);
  return config;
}

/** Every variable loadConfig reads from `env`, set or not. */
function variablesRead(env: Env): Set<string> {
  const read = new Set<string>();
  loadConfig(
    new Proxy(env, {
      get(target, name) {
        if (typeof name === "string") read.add(name);
        return Reflect.get(target, name);
      },
    }),
    CONTEXT,
  );
  return read;
}

interface SettingRow {
  names: string[];
  /** The row's cells joined, for names mentioned in them (`$HOSTNAME`). */
  text: string;
  /** The default cell's values written as code, in order (not names of other settings). */
  defaults: string[];
}

function settingRows(): SettingRow[] {
  const codes = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((match) => match[1]);
  return readmeSection(README, "Settings").split("\n")
    .filter((line) => line.startsWith("| `"))
    .map((line) => {
      const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());
      return {
        names: codes(cells[0]),
        text: cells.join(" "),
        // Placeholders (`<random>`, `$HOSTNAME`), list names (`stevenblack=`) and other
        // settings (`HOST`) are no value to set.
        defaults: codes(cells.at(-1)!).filter((code) => !/[<$]|=$|^[A-Z_]+$/.test(code)),
      };
    });
}

Deno.test("README Settings: a row for every variable config.ts reads, and only for those", () => {
  const rows = settingRows();
  const read = variablesRead(EVERY_PART);
  const table = rows.map((row) => row.text).join("\n");
  const missing = [...read].filter((name) => !new RegExp(`\\b${name}\\b`).test(table));
  assert.deepEqual(missing, [], "read by config.ts, named nowhere in the Settings table");
  const unread = rows.flatMap((row) => row.names).filter((name) => !read.has(name));
  assert.deepEqual(unread, [], "in the Settings table, read by nothing in config.ts");
});

Deno.test("README Settings: each default written as a value is what the unset variable gives", () => {
  const unset = configOf(EVERY_PART);
  let checked = 0;
  for (const row of settingRows()) {
    if (row.defaults.length < row.names.length) continue;
    row.names.forEach((name, i) => {
      const value = row.defaults[i];
      assert.deepEqual(configOf({ ...EVERY_PART, [name]: value }), unset, `${name}=${value}`);
      checked++;
    });
  }
  assert.ok(checked >= 30, `${checked} defaults checked`);
});

Deno.test("README metrics: the list names every family /metrics exposes, and no other", async () => {
  const zero = () => 0;
  const metrics = new Metrics({
    cache: () => ({ entries: 0, bytes: 0, hits: 0, misses: 0, evictions: 0 }),
    sharedCache: () => ({ reads: 0, hits: 0, writes: 0, errors: 0, dropped: 0 }),
    blocklist: { stats: { blocked: 0, allowed: 0, errors: 0 }, summary: () => Promise.resolve([]) },
    logStreamErrors: zero,
    udpDoor: () => undefined,
    redisCalls: () => ({ waiting: 0, dropped: 0 }),
    doors: () => ({}),
    clientsRefused: () => ({}),
    historyDropped: zero,
  });
  const exposed = [...(await metrics.expose()).text.matchAll(/^# TYPE (\S+) /gm)]
    .map((match) => match[1]).sort();
  const bullet = readmeSection(README, "Dashboard, metrics and the query log")
    .split("\n- ").find((item) => item.startsWith("**Metrics**"));
  assert.ok(bullet, "the README has a Metrics bullet");
  const listed = [...new Set([...bullet.matchAll(/`(dns_[a-z_]+)[`{]/g)].map((match) => match[1]))]
    .sort();
  assert.deepEqual(listed, exposed);
});

/** Text as a reader sees it: tables without their padding, lines and blanks run together. */
function asRead(text: string): string {
  return text.split("\n").map((line) =>
    line.startsWith("|")
      ? line.split("|").map((cell) => cell.trim().replace(/^:?-+(:?)$/, "-$1")).join("|")
      : line
  ).join("\n").replace(/\s+/g, " ").trim();
}

Deno.test("README Performance quotes bench/results/all.md as committed", async () => {
  const results = await Deno.readTextFile(new URL("../bench/results/all.md", import.meta.url));
  const section = readmeSection(README, "Performance");
  const quoted = section.slice(section.indexOf("Latest run (`bench/results/all.md`):"));
  assert.ok(
    asRead(quoted).includes(asRead(results)),
    `the README's latest run is not ${asRead(results).slice(0, 40)}…`,
  );
});
