import assert from "node:assert/strict";
import { createQueryLog } from "../../observe/query_log.ts";

const entry = (n: number) => ({
  time: n,
  client: "",
  door: "doh" as const,
  name: `n${n}`,
  type: 1,
});

Deno.test("the query log ring keeps the newest entries, oldest first", () => {
  const log = createQueryLog({ toStdout: false, capacity: 3 });
  for (let n = 1; n <= 5; n++) log.write(entry(n));
  assert.deepEqual(log.recent().map((e) => e.name), ["n3", "n4", "n5"]);
});

Deno.test("the query log prints JSON lines with the type by name and an ISO time", () => {
  const lines: string[] = [];
  const log = createQueryLog({ toStdout: true, capacity: 0, print: (l) => lines.push(l) });
  log.write(entry(0));
  assert.deepEqual(JSON.parse(lines[0]), {
    time: "1970-01-01T00:00:00.000Z",
    client: "",
    door: "doh",
    name: "n0",
    type: "A",
  });
  assert.deepEqual(log.recent(), []);
});
