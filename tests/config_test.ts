import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config.ts";

const vm = { udpAvailable: true };
const deploy = { udpAvailable: false };

Deno.test("loadConfig() defaults: 127.0.0.1:8080, UDP to 9.9.9.9, 3 s budget, log on", () => {
  const config = loadConfig({}, vm);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.httpPort, 8080);
  assert.equal(config.tls, undefined);
  assert.deepEqual(config.upstreams.map((u) => u.url), ["udp://9.9.9.9:53"]);
  assert.equal(config.queryTimeoutMs, 3000);
  assert.equal(config.forwardClientSubnet, false);
  assert.equal(config.logQueries, true);
});

Deno.test("loadConfig() defaults to Quad9 DoH where UDP is unavailable", () => {
  const config = loadConfig({}, deploy);
  assert.deepEqual(config.upstreams.map((u) => u.protocol), ["https"]);
  assert.equal(config.upstreams[0].host, "dns.quad9.net");
});

Deno.test("loadConfig() reads every setting", () => {
  const config = loadConfig({
    HOST: "0.0.0.0",
    HTTP_PORT: "8443",
    TLS_CERT: "cert.pem",
    TLS_KEY: "key.pem",
    UPSTREAMS: "tls://9.9.9.9, https://dns.example/dns-query ,tcp://[::1]:5353",
    UPSTREAM_CA_FILE: "ca.pem",
    QUERY_TIMEOUT_MS: "2000",
    UPSTREAM_TIMEOUT_MS: "500",
    FORWARD_CLIENT_SUBNET: "on",
    LOG_QUERIES: "off",
  }, vm);
  assert.equal(config.host, "0.0.0.0");
  assert.equal(config.httpPort, 8443);
  assert.deepEqual(config.tls, { certFile: "cert.pem", keyFile: "key.pem" });
  assert.deepEqual(config.upstreams.map((u) => [u.protocol, u.host, u.port]), [
    ["tls", "9.9.9.9", 853],
    ["https", "dns.example", 443],
    ["tcp", "::1", 5353],
  ]);
  assert.equal(config.upstreamCaFile, "ca.pem");
  assert.equal(config.queryTimeoutMs, 2000);
  assert.equal(config.upstreamTimeoutMs, 500);
  assert.equal(config.forwardClientSubnet, true);
  assert.equal(config.logQueries, false);
});

Deno.test("loadConfig() caps the upstream timeout at the query budget", () => {
  const config = loadConfig({ QUERY_TIMEOUT_MS: "1000", UPSTREAM_TIMEOUT_MS: "5000" }, vm);
  assert.equal(config.upstreamTimeoutMs, 1000);
});

Deno.test("loadConfig() rejects bad values with one line naming variable, value and expectation", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ HTTP_PORT: "80a" }, /^HTTP_PORT="80a": expected a whole number from 0 to 65535$/],
    [{ HTTP_PORT: "70000" }, /^HTTP_PORT="70000": expected a whole number/],
    [{ QUERY_TIMEOUT_MS: "-1" }, /^QUERY_TIMEOUT_MS="-1": expected a whole number/],
    [{ LOG_QUERIES: "maybe" }, /^LOG_QUERIES="maybe": expected on or off$/],
    [{ TLS_CERT: "cert.pem" }, /^TLS_KEY is unset: TLS_CERT and TLS_KEY go together/],
    [{ UPSTREAMS: "ftp://x" }, /^UPSTREAMS="ftp:\/\/x": /],
    [{ UPSTREAMS: " , " }, /^UPSTREAMS=",": expected comma-separated upstream URLs$/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(() => loadConfig(env, vm), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, expected);
      assert.ok(!error.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("loadConfig() refuses a udp:// upstream where UDP is unavailable", () => {
  assert.throws(
    () => loadConfig({ UPSTREAMS: "udp://9.9.9.9" }, deploy),
    /needs UDP, which this runtime lacks \(Deno Deploy\); use tls:\/\/ or https:\/\//,
  );
});

Deno.test("loadConfig() cache settings: 64 MiB by default, every knob read, 0 bytes turns it off", () => {
  assert.deepEqual(loadConfig({}, vm).cache, {
    maxBytes: 64 * 1024 * 1024,
    minTtl: 0,
    maxTtl: 86400,
    errorTtl: 0,
    maxStaleSeconds: 86400,
    prefetchHits: 3,
  });
  const tuned = loadConfig({
    CACHE_MAX_BYTES: "1048576",
    CACHE_MIN_TTL: "30",
    CACHE_MAX_TTL: "3600",
    CACHE_ERROR_TTL: "5",
    CACHE_MAX_STALE: "0",
    CACHE_PREFETCH_HITS: "0",
  }, vm);
  assert.deepEqual(tuned.cache, {
    maxBytes: 1048576,
    minTtl: 30,
    maxTtl: 3600,
    errorTtl: 5,
    maxStaleSeconds: 0,
    prefetchHits: 0,
  });
  assert.equal(loadConfig({ CACHE_MAX_BYTES: "0" }, vm).cache, undefined);
  assert.throws(
    () => loadConfig({ CACHE_MIN_TTL: "600", CACHE_MAX_TTL: "60" }, vm),
    /^ConfigError: CACHE_MIN_TTL="600" is above CACHE_MAX_TTL="60"/,
  );
});

Deno.test("loadConfig() Redis settings: none by default, redis:// or Upstash, checked", () => {
  assert.equal(loadConfig({}, vm).redis, undefined);
  assert.deepEqual(loadConfig({ REDIS_URL: "redis://127.0.0.1:6379/2" }, vm).redis, {
    url: "redis://127.0.0.1:6379/2",
    upstashUrl: undefined,
    upstashToken: undefined,
    timeoutMs: 250,
    prefix: "dns:",
  });
  const upstash = loadConfig({
    UPSTASH_REDIS_REST_URL: "https://eu1-x.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: "secret",
    REDIS_TIMEOUT_MS: "500",
    REDIS_PREFIX: "home:",
  }, deploy).redis;
  assert.equal(upstash?.upstashUrl, "https://eu1-x.upstash.io");
  assert.equal(upstash?.timeoutMs, 500);
  assert.equal(upstash?.prefix, "home:");
  const bad: [Record<string, string>, RegExp][] = [
    [{ REDIS_URL: "localhost:6379" }, /^REDIS_URL="localhost:6379": expected redis:\/\//],
    [{ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }, /^UPSTASH_REDIS_REST_TOKEN is unset/],
    [{ REDIS_URL: "redis://x", REDIS_TIMEOUT_MS: "0" }, /^REDIS_TIMEOUT_MS="0"/],
  ];
  for (const [env, expected] of bad) {
    assert.throws(() => loadConfig(env, vm), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, expected);
      return true;
    });
  }
});
