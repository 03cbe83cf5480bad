#!/usr/bin/env bash
# Installs what the gateway and its tests need on a fresh Debian machine: Deno (from npm) and
# the real peers the integration tests talk to (knot as upstream, dnsdist for DoT/DoH
# upstreams, redis, the clients kdig, dig, curl, headless chromium and firefox-esr for the
# dashboard and secure DNS, certutil for the browsers' certificate stores, ip for the tests'
# own network namespaces).
# Idempotent; run as root or with sudo.
set -euo pipefail

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v deno >/dev/null 2>&1; then
  npm install -g deno@2
fi
deno --version | head -n 1

packages=(knot knot-module-geoip knot-dnsutils bind9-dnsutils dnsdist redis-server curl openssl nghttp2-client dnsperf
  chromium firefox-esr libnss3-tools iproute2)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
fi
