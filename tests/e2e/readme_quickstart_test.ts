/**
 * A newcomer's first hour: the README's commands as written (Quick start, Using it, Browsers'
 * certificates, Several workers) on a copy of the checkout, checked against the outputs the
 * README shows. The only change to the commands is the upstream: a knot serving example.com
 * instead of Quad9, all inside a network namespace with only loopback
 * (tests/e2e/readme_quickstart_scenario.ts). An edit that breaks a command fails here.
 */
import assert from "node:assert/strict";
import { decodeMessage } from "../../dns/mod.ts";
import { integration } from "../support/binaries.ts";
import { runInNetns } from "../support/netns.ts";
import {
  codeBlocks,
  odBytes,
  readmeSection,
  readReadme,
  shellCommands,
} from "../support/readme_blocks.ts";
import {
  type CommandRun,
  type GatewayRun,
  type QuickstartRun,
  WORKER_CONNECTIONS,
  WORKER_NAME,
} from "./readme_quickstart_scenario.ts";

const PEERS = ["unshare", "ip", "git", "knotd", "kdig", "dig", "curl", "od", "openssl", "certutil"];
const README = await readReadme();

let scenario: Promise<QuickstartRun> | undefined;
/** One run of the scenario, shared by the tests below (each checks its part). */
const quickstart = () =>
  scenario ??= runInNetns<QuickstartRun>("tests/e2e/readme_quickstart_scenario.ts");

function assertSucceeded(run: CommandRun): void {
  assert.equal(run.code, 0, `${run.command}\n${run.stderr}`);
}

/** A recipe's commands all worked, and the gateway it ends with served HTTPS on 8443. */
function assertStartedOverHttps(recipe: CommandRun[], gateway: GatewayRun): void {
  for (const command of recipe) assertSucceeded(command);
  assert.equal(gateway.listening, "https://127.0.0.1:8443/dns-query", gateway.stderr);
  assert.equal(gateway.code, 0, gateway.stderr);
}

/**
 * `actual` is the answer `shown`, but from knot: an authoritative server sets AA and leaves RA
 * clear where Quad9, the README's upstream, does the opposite; and a cached answer's TTL has
 * aged by a second or two.
 */
function assertShownAnswer(actual: Uint8Array, shown: Uint8Array): void {
  const got = decodeMessage(actual);
  const want = decodeMessage(shown);
  assert.ok(got.header.authoritative && !got.header.recursionAvailable, "knot's flags");
  got.header.authoritative = want.header.authoritative;
  got.header.recursionAvailable = want.header.recursionAvailable;
  assert.equal(got.answers.length, want.answers.length);
  got.answers.forEach((record, i) => {
    const ttl = want.answers[i].ttl;
    assert.ok(record.ttl <= ttl && record.ttl >= ttl - 5, `TTL ${record.ttl}, shown ${ttl}`);
    record.ttl = ttl;
  });
  assert.deepEqual(got, want);
}

Deno.test({
  name: "README quick start: setup, deno task start and the curl | od examples print what it shows",
  ...integration(PEERS),
  async fn() {
    const run = await quickstart();
    assertSucceeded(run.setup);
    // The quick start's own comment says where DoH listens.
    const [startLine] = readmeSection(README, "Quick start").split("\n")
      .filter((line) => line.startsWith("deno task start"));
    assert.match(startLine, new RegExp(`DoH on ${run.start.listening.replaceAll(".", "\\.")}`));
    assert.equal(run.start.code, 0, run.start.stderr);

    const [shown] = codeBlocks(readmeSection(README, "Using it"), "text");
    assert.ok(shown, "Using it shows what the curl | od commands print");
    const od = run.curl.filter((command) => command.command.includes("| od"));
    assert.equal(od.length, 2, "a POST and a GET");
    for (const command of run.curl) assertSucceeded(command);
    for (const command of od) assertShownAnswer(odBytes(command.stdout), odBytes(shown));
  },
});

Deno.test({
  name: "README Using it: the self-signed certificate, the gateway over HTTPS and its clients",
  ...integration(PEERS),
  async fn() {
    const run = await quickstart();
    assertStartedOverHttps(run.selfSigned, run.tlsStart);
    const [kdigA, kdigAaaa, digMx, curl] = run.httpsClients;
    for (const command of [kdigA, kdigAaaa, digMx]) {
      assertSucceeded(command);
      assert.match(command.stdout, /status: NOERROR/, command.command);
    }
    assert.match(kdigA.stdout, /^example\.com\.\s+\d+\s+IN\s+A\s+23\.192\.228\.80$/m);
    assert.match(kdigAaaa.stdout, /^example\.com\.\s+\d+\s+IN\s+AAAA\s+2600:1406:/m);
    assert.match(digMx.stdout, /^example\.com\.\s+\d+\s+IN\s+MX\s+0 \.$/m);
    // The name resolved over DoH; the page itself is beyond this namespace (curl's exit 7,
    // "failed to connect", not 6, "could not resolve").
    assert.equal(curl.code, 7, curl.stderr);
  },
});

Deno.test({
  name: "README Browsers: the CA recipe starts the gateway, and certutil works on a fresh HOME",
  ...integration(PEERS),
  async fn() {
    const run = await quickstart();
    assertStartedOverHttps(run.caRecipe, run.caStart);
    assert.equal(run.certutil.length, 2, "Chromium's store made, then the CA added");
    for (const command of run.certutil) assertSucceeded(command);
  },
});

Deno.test({
  name: "README: the files its commands write into the checkout are ignored by git",
  ...integration(PEERS),
  async fn() {
    assert.deepEqual((await quickstart()).untracked, []);
  },
});

Deno.test({
  name: "README Several workers: the command as written starts workers that all answer",
  ...integration(PEERS),
  async fn() {
    const run = await quickstart();
    const { workers } = run;
    const [command] = shellCommands(codeBlocks(readmeSection(README, "Several workers"), "sh")[0]);
    assert.match(workers.command, /^WORKERS=2 /, command);
    assertStartedOverHttps([], workers);
    assert.match(workers.stderr, /^TCP_NODELAY: on$/m);
    assert.match(workers.stderr, /^worker 2: TCP_NODELAY: on$/m);
    for (const answer of run.workerAnswers) assert.equal(answer.stdout, "200", answer.stderr);
    // Each worker has its own cache: the name went upstream once per worker that answered.
    const sources = workers.stdout.trim().split("\n").map((line) => JSON.parse(line))
      .filter((entry) => entry.name === WORKER_NAME).map((entry) => entry.source);
    assert.equal(sources.length, WORKER_CONNECTIONS);
    assert.equal(sources.filter((source) => source === "upstream").length, 2, `${sources}`);
  },
});
