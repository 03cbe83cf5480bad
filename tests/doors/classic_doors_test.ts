import assert from "node:assert/strict";
import { exposureWarning } from "../../doors/classic_doors.ts";

Deno.test("exposureWarning() warns about doors on a network address without an allow-list", () => {
  assert.match(
    exposureWarning("0.0.0.0", false)!,
    /^warning: the DNS doors on 0\.0\.0\.0 answer any client; set DNS_ALLOW_CIDRS/,
  );
  assert.match(exposureWarning("::", false)!, /DNS_ALLOW_CIDRS/);
  assert.match(exposureWarning("192.0.2.5", false)!, /DNS_ALLOW_CIDRS/);
  assert.equal(exposureWarning("0.0.0.0", true), undefined);
  for (const loopback of ["127.0.0.1", "127.0.0.53", "::1", "localhost"]) {
    assert.equal(exposureWarning(loopback, false), undefined, loopback);
  }
});
