import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../config.ts";

const vm = { udpAvailable: true };
const deploy = { udpAvailable: false };
const WORKERS_WITH_ADMIN = { WORKERS: "2", ADMIN_TOKEN: "a-token-of-16-chars-or-more" };

Deno.test("loadConfig() defaults: 127.0.0.1:8080, UDP to 9.9.9.9, 3 s budget, log on", () => {
  const config = loadConfig({}, vm);
  assert.equal(config.host, "127.0.0.1");
  assert.equal(config.httpPort, 8080);
  assert.equal(config.tls, undefined);
  assert.deepEqual(config.upstreams.map((u) => u.url), ["udp://9.9.9.9:53"]);
  assert.equal(config.queryTimeoutMs, 3000);
  assert.equal(config.forwardClientSubnet, false);
  assert.equal(config.logQueries, true);
  assert.equal(config.httpBodyTimeoutMs, 10_000);
  assert.equal(config.httpMaxConnections, 10_000);
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
    HTTP_BODY_TIMEOUT_MS: "2500",
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
  assert.equal(config.httpBodyTimeoutMs, 2500);
});

Deno.test("loadConfig() caps the upstream timeout at the query budget", () => {
  const config = loadConfig({ QUERY_TIMEOUT_MS: "1000", UPSTREAM_TIMEOUT_MS: "5000" }, vm);
  assert.equal(config.upstreamTimeoutMs, 1000);
});

Deno.test("loadConfig() rejects bad values with one line naming variable, value and expectation", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ HTTP_PORT: "80a" }, /^HTTP_PORT="80a": expected a whole number from 0 to 65535$/],
    [{ HTTP_PORT: "70000" }, /^HTTP_PORT="70000": expected a whole number/],
    [
      { HTTP_BODY_TIMEOUT_MS: "50" },
      /^HTTP_BODY_TIMEOUT_MS="50": expected a whole number from 100/,
    ],
    [{ QUERY_TIMEOUT_MS: "-1" }, /^QUERY_TIMEOUT_MS="-1": expected a whole number/],
    [{ LOG_QUERIES: "maybe" }, /^LOG_QUERIES="maybe": expected on or off$/],
    [{ TLS_CERT: "cert.pem" }, /^TLS_KEY is unset: TLS_CERT and TLS_KEY go together/],
    [{ UPSTREAMS: "ftp://x" }, /^UPSTREAMS="ftp:\/\/x": /],
    [{ UPSTREAMS: " , " }, /^UPSTREAMS=",": expected comma-separated upstream URLs$/],
    [{ DOT_PORT: "853" }, /^DOT_PORT="853": needs TLS_CERT and TLS_KEY/],
    [{ UDP_PORT: "domain" }, /^UDP_PORT="domain": expected a whole number from 0 to 65535$/],
    [{ UDP_MAX_SIZE: "100" }, /^UDP_MAX_SIZE="100": expected a whole number from 512 to 4096$/],
    [{ TCP_MAX_PER_CLIENT: "0" }, /^TCP_MAX_PER_CLIENT="0": expected a whole number from 1 /],
    [{ HTTP_MAX_CONNECTIONS: "many" }, /^HTTP_MAX_CONNECTIONS="many": expected a whole number/],
    [
      { DNS_ALLOW_CIDRS: "10.0.0.0/8,10.0.0.0/40" },
      /^DNS_ALLOW_CIDRS="10.0.0.0\/8,10.0.0.0\/40": "10.0.0.0\/40" is not an address or range/,
    ],
    [{ WORKERS: "0" }, /^WORKERS="0": expected a whole number from 1 to 64$/],
    [{ WORKERS: "2", HTTP_PORT: "0" }, /^WORKERS="2" with HTTP_PORT="0": workers share a port/],
    [{ WORKERS: "2", TCP_PORT: "0" }, /^WORKERS="2" with TCP_PORT="0": workers share a port/],
    [WORKERS_WITH_ADMIN, /^WORKERS="2" with ADMIN_TOKEN needs REDIS_URL or Upstash: /],
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

Deno.test("loadConfig() WORKERS: 1 by default, more with the admin API when Redis is there", () => {
  assert.equal(loadConfig({}, vm).workers, 1);
  assert.equal(loadConfig({ WORKERS: "4", TCP_PORT: "53" }, vm).workers, 4);
  assert.equal(
    loadConfig({ ...WORKERS_WITH_ADMIN, REDIS_URL: "redis://127.0.0.1" }, vm).workers,
    2,
  );
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
    maxWaiting: 1000,
    prefix: "dns:",
    failMode: "open",
  });
  assert.equal(
    loadConfig({ REDIS_URL: "redis://x", REDIS_FAIL: "Closed" }, vm).redis?.failMode,
    "closed",
  );
  const upstash = loadConfig({
    UPSTASH_REDIS_REST_URL: "https://eu1-x.upstash.io",
    UPSTASH_REDIS_REST_TOKEN: "secret",
    REDIS_TIMEOUT_MS: "500",
    REDIS_MAX_WAITING: "200",
    REDIS_PREFIX: "home:",
  }, deploy).redis;
  assert.equal(upstash?.upstashUrl, "https://eu1-x.upstash.io");
  assert.equal(upstash?.timeoutMs, 500);
  assert.equal(upstash?.maxWaiting, 200);
  assert.equal(upstash?.prefix, "home:");
  const bad: [Record<string, string>, RegExp][] = [
    [{ REDIS_URL: "localhost:6379" }, /^REDIS_URL="localhost:6379": expected redis:\/\//],
    [{ UPSTASH_REDIS_REST_URL: "https://x.upstash.io" }, /^UPSTASH_REDIS_REST_TOKEN is unset/],
    [{ REDIS_URL: "redis://x", REDIS_TIMEOUT_MS: "0" }, /^REDIS_TIMEOUT_MS="0"/],
    [{ REDIS_URL: "redis://x", REDIS_MAX_WAITING: "0" }, /^REDIS_MAX_WAITING="0"/],
    [
      { REDIS_URL: "redis://x", REDIS_FAIL: "maybe" },
      /^REDIS_FAIL="maybe": expected open or closed$/,
    ],
  ];
  for (const [env, expected] of bad) {
    assert.throws(() => loadConfig(env, vm), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, expected);
      return true;
    });
  }
});

Deno.test("loadConfig() blocklist defaults: StevenBlack and hagezi pro, NXDOMAIN for 60 s, daily", () => {
  const { blocklist, adminToken } = loadConfig({}, { ...vm, cwd: "/srv/gw" });
  assert.deepEqual(blocklist.sources.map((s) => [s.name, s.kind]), [
    ["stevenblack", "block"],
    ["hagezi-pro", "block"],
  ]);
  assert.match(
    blocklist.sources[0].location,
    /^https:\/\/raw\.githubusercontent\.com\/StevenBlack\//,
  );
  assert.equal(blocklist.response, "nxdomain");
  assert.equal(blocklist.ttl, 60);
  assert.equal(blocklist.dir, "/srv/gw/.cache/blocklists");
  assert.equal(blocklist.refreshMs, 24 * 3_600_000);
  assert.equal(blocklist.maxBytes, 64 * 1024 * 1024);
  assert.equal(blocklist.decisionCacheMs, 10_000);
  assert.equal(adminToken, undefined);
});

Deno.test("loadConfig() reads list URLs, names, paths and every blocklist knob", () => {
  const config = loadConfig({
    BLOCKLIST_URLS:
      "ads=https://lists.example/ads.txt, lists/local-hosts.txt ,file:///etc/block.txt",
    ALLOWLIST_URLS: "https://lists.example/ads.txt",
    BLOCK_RESPONSE: "NULL",
    BLOCK_TTL: "300",
    BLOCKLIST_DIR: "/var/cache/gw",
    BLOCKLIST_REFRESH_HOURS: "6",
    BLOCKLIST_MAX_BYTES: "1048576",
    BLOCKLIST_DOWNLOAD_TIMEOUT_MS: "5000",
    BLOCKLIST_DECISION_CACHE_MS: "0",
    ADMIN_TOKEN: "a-long-enough-secret",
  }, { ...vm, cwd: "/srv/gw" });
  assert.deepEqual(config.blocklist.sources, [
    { name: "ads", location: "https://lists.example/ads.txt", kind: "block" },
    { name: "local-hosts", location: "/srv/gw/lists/local-hosts.txt", kind: "block" },
    { name: "block", location: "/etc/block.txt", kind: "block" },
    { name: "ads-2", location: "https://lists.example/ads.txt", kind: "allow" },
  ]);
  assert.equal(config.blocklist.response, "null");
  assert.equal(config.blocklist.ttl, 300);
  assert.equal(config.blocklist.dir, "/var/cache/gw");
  assert.equal(config.blocklist.refreshMs, 6 * 3_600_000);
  assert.equal(config.blocklist.maxBytes, 1048576);
  assert.equal(config.blocklist.downloadTimeoutMs, 5000);
  assert.equal(config.blocklist.decisionCacheMs, 0);
  assert.equal(config.adminToken, "a-long-enough-secret");
});

Deno.test("loadConfig() BLOCKLIST_URLS empty or none means no lists; BLOCKLIST_DIR=off no copies", () => {
  for (const value of ["", " ", "none", "OFF"]) {
    assert.deepEqual(loadConfig({ BLOCKLIST_URLS: value }, vm).blocklist.sources, [], value);
  }
  assert.equal(loadConfig({ BLOCKLIST_DIR: "off" }, vm).blocklist.dir, undefined);
});

Deno.test("loadConfig() rejects bad blocklist settings with one line each", () => {
  const bad: [Record<string, string>, RegExp][] = [
    [
      { BLOCK_RESPONSE: "drop" },
      /^BLOCK_RESPONSE="drop": expected one of nxdomain, nodata, null, refused$/,
    ],
    [
      { BLOCKLIST_URLS: "ftp://x.example/list" },
      /^BLOCKLIST_URLS="ftp:\/\/x\.example\/list": "ftp:.*expected an http\(s\):\/\/ URL or a file path$/,
    ],
    [{ BLOCKLIST_URLS: "custom=https://x.example/a" }, /"custom" is not a usable list name/],
    [
      { BLOCKLIST_URLS: "a=https://x.example/a,a=https://x.example/b" },
      /the list name "a" is used twice/,
    ],
    [{ BLOCKLIST_URLS: "https://exa mple/x" }, /is not a valid URL/],
    [{ BLOCKLIST_URLS: "ads=" }, /^BLOCKLIST_URLS="ads=": "ads=" names no URL or file after "="$/],
    [
      { ALLOWLIST_URLS: "ok=https://x.example/a, mine = " },
      /^ALLOWLIST_URLS=.*: "mine =" names no URL or file after "="$/,
    ],
    [{ BLOCKLIST_URLS: "=https://x.example/a" }, /"" is not a usable list name/],
    [{ BLOCKLIST_URLS: "my list=/etc/hosts" }, /"my list" is not a usable list name/],
    [{ BLOCK_TTL: "-1" }, /^BLOCK_TTL="-1": expected a whole number from 0 to 86400$/],
    [{ BLOCKLIST_REFRESH_HOURS: "0" }, /^BLOCKLIST_REFRESH_HOURS="0"/],
    [{ ADMIN_TOKEN: "short" }, /^ADMIN_TOKEN is 5 characters: use at least 16/],
    [{ METRICS_TOKEN: "short" }, /^METRICS_TOKEN is 5 characters: use at least 16/],
  ];
  for (const [env, expected] of bad) {
    assert.throws(() => loadConfig(env, vm), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, expected);
      assert.doesNotMatch(error.message, /\n/);
      return true;
    });
  }
});

Deno.test("loadConfig() query-log settings: client address kept, a stream of 10,000 with Redis", () => {
  const defaults = loadConfig({}, vm);
  assert.deepEqual(defaults.logClient, { mode: "address", key: undefined });
  assert.equal(defaults.logStreamMax, 10_000);
  assert.match(defaults.instanceName, /^gateway-[0-9a-f]{8}$/);
  const set = loadConfig({
    LOG_CLIENT: "Hash",
    LOG_CLIENT_KEY: "k3y",
    LOG_STREAM_MAX: "0",
    INSTANCE_NAME: "vps-1",
  }, vm);
  assert.deepEqual(set.logClient, { mode: "hash", key: "k3y" });
  assert.equal(set.logStreamMax, 0);
  assert.equal(set.instanceName, "vps-1");
  assert.throws(
    () => loadConfig({ LOG_CLIENT: "ip" }, vm),
    /^ConfigError: LOG_CLIENT="ip": expected one of address, hash, off$/,
  );
});

Deno.test("loadConfig() history: auto by default (on with a core to spare), in .data for 7 days, statistics 90 days", () => {
  assert.deepEqual(loadConfig({}, { ...vm, cwd: "/srv/gw", cores: 1 }).history, {
    on: false,
    why: "HISTORY=auto: 1 core for 1 answering process, none to spare",
    dataDir: "/srv/gw/.data",
    retentionMs: 7 * 86_400_000,
    statsRetentionMs: 90 * 86_400_000,
  });
  const twoCores = { ...vm, cores: 2 };
  assert.equal(loadConfig({}, twoCores).history.on, true);
  assert.equal(
    loadConfig({ HISTORY: "Auto" }, twoCores).history.why,
    "HISTORY=auto: 2 cores for 1 answering process",
  );
  assert.equal(loadConfig({ WORKERS: "2" }, twoCores).history.on, false, "no core to spare");
  assert.equal(loadConfig({ WORKERS: "2" }, { ...vm, cores: 4 }).history.on, true);
  assert.deepEqual(
    loadConfig(
      { HISTORY: "on", DATA_DIR: "/var/lib/gw", HISTORY_RETENTION: "36h", STATS_RETENTION: "30" },
      { ...vm, cores: 1 },
    ).history,
    {
      on: true,
      why: "HISTORY=on",
      dataDir: "/var/lib/gw",
      retentionMs: 36 * 3_600_000,
      statsRetentionMs: 30 * 86_400_000,
    },
  );
  assert.equal(loadConfig({ HISTORY: "off" }, twoCores).history.on, false);
  const bad: [Record<string, string>, RegExp][] = [
    [{ HISTORY: "maybe" }, /^HISTORY="maybe": expected on, off or auto$/],
    [{ HISTORY_RETENTION: "0d" }, /^HISTORY_RETENTION="0d": expected days or hours/],
    [{ HISTORY_RETENTION: "1w" }, /^HISTORY_RETENTION="1w": expected days or hours/],
    [{ STATS_RETENTION: "12h" }, /^STATS_RETENTION="12h": expected days or hours .* from 24h/],
    [{ STATS_RETENTION: "1000d" }, /^STATS_RETENTION="1000d": .* to 730d$/],
  ];
  for (const [env, expected] of bad) {
    assert.throws(() => loadConfig(env, vm), (error: Error) => {
      assert.ok(error instanceof ConfigError, String(error));
      assert.match(error.message, expected);
      return true;
    });
  }
});

Deno.test("loadConfig() reads RECORDS_FILE as a path relative to the working directory", () => {
  assert.equal(loadConfig({}, vm).recordsFile, undefined);
  assert.equal(
    loadConfig({ RECORDS_FILE: "records.txt" }, { ...vm, cwd: "/srv/gw" }).recordsFile,
    "/srv/gw/records.txt",
  );
  assert.equal(
    loadConfig({ RECORDS_FILE: " /etc/gw/records " }, { ...vm, cwd: "/srv/gw" }).recordsFile,
    "/etc/gw/records",
  );
});

Deno.test("loadConfig() leaves the classic doors off by default, on HOST, with their limits", () => {
  const { dns } = loadConfig({ HOST: "127.0.0.2" }, vm);
  assert.equal(dns.host, "127.0.0.2");
  assert.equal(dns.udpPort, undefined);
  assert.equal(dns.tcpPort, undefined);
  assert.equal(dns.dotPort, undefined);
  assert.equal(dns.udpMaxSize, 1232);
  assert.deepEqual(dns.udpRate, { rate: 100, burst: 200 });
  assert.equal(dns.tcpIdleTimeoutMs, 10_000);
  assert.equal(dns.tcpMaxConnections, 1000);
  assert.equal(dns.tcpMaxPerClient, 64);
  assert.equal(dns.tcpMaxInFlight, 100);
  assert.equal(dns.allow, undefined);
});

Deno.test("loadConfig() reads every setting of the classic doors", () => {
  const { dns } = loadConfig({
    HOST: "127.0.0.1",
    DNS_HOST: "::",
    UDP_PORT: "53",
    TCP_PORT: "53",
    DOT_PORT: "853",
    TLS_CERT: "cert.pem",
    TLS_KEY: "key.pem",
    UDP_MAX_SIZE: "1400",
    UDP_RATE: "20",
    UDP_BURST: "40",
    TCP_IDLE_SECONDS: "3",
    TCP_MAX_CONNECTIONS: "50",
    TCP_MAX_PER_CLIENT: "5",
    TCP_MAX_IN_FLIGHT: "8",
    DNS_ALLOW_CIDRS: "192.168.0.0/16, 2001:db8::/32,10.0.0.1",
  }, vm);
  assert.equal(dns.host, "::");
  assert.deepEqual([dns.udpPort, dns.tcpPort, dns.dotPort], [53, 53, 853]);
  assert.equal(dns.udpMaxSize, 1400);
  assert.deepEqual(dns.udpRate, { rate: 20, burst: 40 });
  assert.equal(dns.tcpIdleTimeoutMs, 3000);
  assert.equal(dns.tcpMaxConnections, 50);
  assert.equal(dns.tcpMaxPerClient, 5);
  assert.equal(dns.tcpMaxInFlight, 8);
  assert.deepEqual(dns.allow?.map((cidr) => [cidr.text, cidr.bits]), [
    ["192.168.0.0/16", 112],
    ["2001:db8::/32", 32],
    ["10.0.0.1", 128],
  ]);
  assert.equal(loadConfig({ UDP_RATE: "0" }, vm).dns.udpRate, undefined);
});

Deno.test("loadConfig() TRUSTED_PROXIES: none by default, addresses and ranges, checked", () => {
  assert.equal(loadConfig({}, vm).trustedProxies, undefined);
  const config = loadConfig({ TRUSTED_PROXIES: "10.0.0.0/8, ::1" }, vm);
  assert.deepEqual(config.trustedProxies?.map((cidr) => cidr.text), ["10.0.0.0/8", "::1"]);
  assert.throws(
    () => loadConfig({ TRUSTED_PROXIES: "10.0.0.0/8,proxy.example" }, vm),
    /^ConfigError: TRUSTED_PROXIES="10.0.0.0\/8,proxy.example": "proxy.example" is not an address or range/,
  );
});

Deno.test("loadConfig() DOH_RATE and DOH_BURST: 200 a second and 2000 at once by default, 0 off", () => {
  assert.deepEqual(loadConfig({}, vm).dohRate, { rate: 200, burst: 2000 });
  assert.deepEqual(loadConfig({ DOH_RATE: "50", DOH_BURST: "100" }, vm).dohRate, {
    rate: 50,
    burst: 100,
  });
  assert.equal(loadConfig({ DOH_RATE: "0" }, vm).dohRate, undefined);
  assert.throws(
    () => loadConfig({ DOH_BURST: "0" }, vm),
    /^ConfigError: DOH_BURST="0": expected a whole number from 1 to 1000000$/,
  );
});

Deno.test("loadConfig() UDP_UNPROVEN_MAX_SIZE and DNS_COOKIE_SECRET: 512 and random by default, checked", () => {
  const defaults = loadConfig({}, vm).dns;
  assert.equal(defaults.udpUnprovenMaxSize, 512);
  assert.equal(defaults.cookieSecret, undefined);
  const set = loadConfig({
    UDP_UNPROVEN_MAX_SIZE: "1232",
    DNS_COOKIE_SECRET: "00112233445566778899aabbccddeeff",
  }, vm).dns;
  assert.equal(set.udpUnprovenMaxSize, 1232);
  assert.deepEqual(set.cookieSecret, Uint8Array.fromHex("00112233445566778899aabbccddeeff"));
  assert.throws(
    () => loadConfig({ UDP_UNPROVEN_MAX_SIZE: "10" }, vm),
    /^Error: UDP_UNPROVEN_MAX_SIZE="10": expected a whole number from 64 to 4096$|UDP_UNPROVEN_MAX_SIZE="10": expected a whole number from 64 to 4096/,
  );
  for (const secret of ["short", "00112233445566778899aabbccddeefg", "0".repeat(130)]) {
    assert.throws(
      () => loadConfig({ DNS_COOKIE_SECRET: secret }, vm),
      (error) =>
        error instanceof ConfigError && !error.message.includes(secret) &&
        /^DNS_COOKIE_SECRET is \d+ characters: expected 32 to 128 hex digits/.test(error.message),
    );
  }
});

Deno.test("loadConfig() reads CLIENT_ID_DOMAIN as a lower-case host name, and refuses anything else", () => {
  assert.equal(loadConfig({}, vm).dns.clientIdDomain, undefined);
  assert.equal(
    loadConfig({ CLIENT_ID_DOMAIN: "DNS.Example.NET." }, vm).dns.clientIdDomain,
    "dns.example.net",
  );
  for (
    const bad of ["localhost", "*.dns.example.net", "dns..example.net", "dns_1.example", "-a.b"]
  ) {
    assert.throws(
      () => loadConfig({ CLIENT_ID_DOMAIN: bad }, vm),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.startsWith(`CLIENT_ID_DOMAIN="${bad}": expected the DoT door's host name`) &&
        !error.message.includes("\n"),
      bad,
    );
  }
});

Deno.test("loadConfig() rebinding protection: on by default, REBIND_ALLOW's domains, off, checked", () => {
  assert.deepEqual(loadConfig({}, vm).rebinding, { allow: [] });
  assert.deepEqual(
    loadConfig({ REBIND_ALLOW: " Corp.Example., home.arpa ,," }, vm).rebinding,
    { allow: ["corp.example", "home.arpa"] },
  );
  assert.equal(loadConfig({ REBIND_PROTECTION: "off" }, vm).rebinding, undefined);
  for (
    const [env, message] of [
      [{ REBIND_PROTECTION: "maybe" }, /^REBIND_PROTECTION="maybe": expected on or off$/],
      [
        { REBIND_ALLOW: "corp.example, bad name" },
        /^REBIND_ALLOW="corp\.example, bad name": "bad name" is not a domain name \(e\.g\. corp\.example, home\.arpa; subdomains are included\)$/,
      ],
      [{ REBIND_ALLOW: "*.corp.example" }, /"\*\.corp\.example" is not a domain name/],
      [{ REBIND_ALLOW: "-corp.example" }, /"-corp\.example" is not a domain name/],
    ] as const
  ) {
    assert.throws(() => loadConfig(env, vm), (error: Error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, message);
      return true;
    });
  }
});
