/**
 * A door that cannot start says why in words a person can act on, in one line, exit 2: a key
 * that is not the certificate's, a key or certificate file with nothing of its kind in it, and
 * a privileged port without the capability to bind it. The real gateway, a real certificate
 * pair made by openssl, and setpriv to take CAP_NET_BIND_SERVICE away as a non-root user lacks it.
 */
import assert from "node:assert/strict";
import { integration } from "../support/binaries.ts";
import { runGateway } from "../support/gateway.ts";
import { makeCertificate } from "../support/tls.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const PERMISSIONS = ["--allow-net", "--allow-env", "--allow-read", "--allow-write", "--allow-ffi"];

function oneLine(stderr: string, pattern: RegExp): void {
  assert.equal(stderr.trim().split("\n").length, 1, stderr);
  assert.match(stderr.trim(), pattern);
}

Deno.test({
  name: "a TLS key that is not the certificate's, or a file without a key or certificate, is named",
  ...integration(["openssl"]),
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "listen-errors-" });
    try {
      await Deno.mkdir(`${dir}/a`);
      await Deno.mkdir(`${dir}/b`);
      const a = await makeCertificate(`${dir}/a`);
      const b = await makeCertificate(`${dir}/b`);
      const cases: [Record<string, string>, RegExp][] = [
        [
          { TLS_CERT: a.certFile, TLS_KEY: b.keyFile },
          /^config error: HOST="127\.0\.0\.1" HTTP_PORT="0": TLS_KEY does not match TLS_CERT/,
        ],
        [
          { TLS_CERT: a.certFile, TLS_KEY: a.certFile },
          /^config error: HOST="127\.0\.0\.1" HTTP_PORT="0": TLS_KEY holds no private key/,
        ],
        [
          { TLS_CERT: a.keyFile, TLS_KEY: a.keyFile },
          /^config error: HOST="127\.0\.0\.1" HTTP_PORT="0": TLS_CERT holds no certificate/,
        ],
      ];
      for (const [env, pattern] of cases) {
        const { code, stderr } = await runGateway({ HTTP_PORT: "0", ...env });
        assert.equal(code, 2, stderr);
        oneLine(stderr, pattern);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "a port below 1024 without CAP_NET_BIND_SERVICE names the capability to grant",
  ...integration(["setpriv"]),
  async fn() {
    const run = async (env: Record<string, string>) => {
      const output = await new Deno.Command("setpriv", {
        // Root keeps every other privilege; only binding low ports is taken away.
        args: [
          "--bounding-set=-net_bind_service",
          Deno.execPath(),
          "run",
          ...PERMISSIONS,
          "main.ts",
        ],
        cwd: ROOT,
        env: { BLOCKLIST_URLS: "", BLOCKLIST_DIR: "off", ...env },
        stdin: "null",
        signal: AbortSignal.timeout(20_000),
      }).output();
      return { code: output.code, stderr: new TextDecoder().decode(output.stderr) };
    };
    const http = await run({ HTTP_PORT: "443" });
    assert.equal(http.code, 2, http.stderr);
    oneLine(
      http.stderr,
      /^config error: HOST="127\.0\.0\.1" HTTP_PORT="443": cannot listen \(Permission denied.*\); ports below 1024 need root or CAP_NET_BIND_SERVICE/,
    );
    const dns = await run({ HTTP_PORT: "0", UDP_PORT: "53" });
    assert.equal(dns.code, 2, dns.stderr);
    oneLine(
      dns.stderr,
      /^config error: DNS_HOST="127\.0\.0\.1" UDP_PORT="53": cannot listen \(Permission denied.*\); ports below 1024 need root or CAP_NET_BIND_SERVICE/,
    );
  },
});
