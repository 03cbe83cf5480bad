/**
 * `deno task fuzz:doors [total] [seed]`: hostile messages through every door of the real
 * gateway (DoH GET, DoH POST, JSON, UDP, TCP, DoT; knot behind it), 1,000,000 in total by
 * default, shared among the doors as SHARES says. Prints one table of counts per door and
 * outcome, then checks the gateway: still answering a good query on every door, nothing on
 * stderr but its startup lines, exit 0 on SIGTERM. Exits 1 on any violation.
 */
import { DOORS, type FuzzDoor, fuzzDoor, type FuzzTally } from "../tests/support/door_fuzz.ts";
import { startFuzzGateway } from "../tests/support/fuzz_gateway.ts";

/** Share of the total per door: the wire doors take more, TLS handshakes make DoT the dearest. */
const SHARES: Record<FuzzDoor, number> = {
  "doh-get": 0.2,
  "doh-post": 0.2,
  json: 0.1,
  udp: 0.25,
  tcp: 0.15,
  dot: 0.1,
};

const total = Number(Deno.args[0] ?? 1_000_000);
const seed = Number(Deno.args[1] ?? 0xd00_2026);

const gateway = await startFuzzGateway();
const tallies: FuzzTally[] = [];
let healthy: string[] = [];
let stderr = "";
let code = -1;
try {
  for (const [index, door] of DOORS.entries()) {
    const count = Math.round(total * SHARES[door]);
    const tally = await fuzzDoor(gateway.target, door, count, seed + index);
    tallies.push(tally);
    console.error(
      `${door}: ${count} in ${(tally.ms / 1000).toFixed(1)} s, ${tally.violations} violations`,
    );
  }
  healthy = await gateway.goodQueries();
} finally {
  stderr = gateway.extraStderr();
  code = await gateway.stop();
}

console.log(table(tallies));
const violations = tallies.reduce((sum, tally) => sum + tally.violations, 0);
console.log(
  `\n${tallies.reduce((sum, t) => sum + t.sent, 0)} messages, ${violations} violations; ` +
    `good query on every door at the end: ${healthy.length === 0 ? "yes" : healthy.join("; ")}; ` +
    `stderr beyond startup: ${stderr === "" ? "none" : JSON.stringify(stderr.slice(0, 500))}; ` +
    `exit code on SIGTERM: ${code}`,
);
for (const tally of tallies) {
  for (const example of tally.examples) console.log(`${tally.door}: ${example}`);
}
if (violations > 0 || healthy.length > 0 || stderr !== "" || code !== 0) Deno.exit(1);

function table(tallies: FuzzTally[]): string {
  const rows = [
    "| door | messages | seconds | per second | outcome | count |",
    "| --- | ---: | ---: | ---: | --- | ---: |",
  ];
  for (const tally of tallies) {
    const outcomes = Object.entries(tally.outcomes).sort((a, b) => b[1] - a[1]);
    outcomes.forEach(([outcome, count], i) => {
      const head = i === 0
        ? [
          tally.door,
          tally.sent,
          (tally.ms / 1000).toFixed(1),
          Math.round(tally.sent / (tally.ms / 1000)),
        ]
        : ["", "", "", ""];
      rows.push(`| ${[...head, outcome, count].join(" | ")} |`);
    });
  }
  return rows.join("\n");
}
