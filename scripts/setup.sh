#!/usr/bin/env bash
# Installs what the gateway and its tests need on a fresh Debian machine: Deno (from npm) and
# the real peers the integration tests talk to (knot as upstream, dnsdist for DoT/DoH
# upstreams, redis, the clients kdig, dig, curl, headless chromium and firefox-esr for the
# dashboard and secure DNS, certutil for the browsers' certificate stores, ip for the tests'
# own network namespaces).
# Idempotent; run as root or with sudo. `--dry-run` prints what it would install instead.
set -euo pipefail

dry_run=false
[ "${1:-}" = "--dry-run" ] && dry_run=true

# Every change to the machine goes through here: as root, or printed under --dry-run.
change() {
  if $dry_run; then
    echo "would run: $*"
  elif [ "$(id -u)" -eq 0 ]; then
    "$@"
  else
    sudo "$@"
  fi
}

updated=false
apt_install() {
  $updated || { change apt-get update -qq; updated=true; }
  change env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# Deno comes from the npm registry; a fresh Debian has no npm, so that comes from Debian first.
# Into /usr/local whatever npm's own default, as deploy/doh-gateway.service expects.
if ! command -v deno >/dev/null 2>&1; then
  command -v npm >/dev/null 2>&1 || apt_install npm
  change npm install -g --prefix /usr/local deno@2
fi
$dry_run || deno --version | head -n 1

packages=(knot knot-module-geoip knot-dnsutils bind9-dnsutils dnsdist redis-server curl openssl nghttp2-client dnsperf
  chromium firefox-esr libnss3-tools iproute2)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  apt_install "${missing[@]}"
fi
