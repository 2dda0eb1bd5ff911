#!/usr/bin/env bash
# Makes a real Prometheus available for the fleet tests: Debian's `prometheus` package.
# The tests start it themselves (tests/support/prometheus.py) on 127.0.0.1 with a
# generated config; the package's own service is not used.
#
# Idempotent: when `prometheus` is on PATH it installs nothing. Never fails the test
# command: when it cannot install (no root, no apt-get, no mirror) it says why and
# exits 0; the fleet tests then fail with that reason.
set -uo pipefail

say() { printf 'setup_prometheus: %s\n' "$*"; }

if command -v prometheus >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "prometheus is missing and installing it needs root and apt-get"
  exit 0
fi
say "installing Debian's prometheus"
log="$(mktemp)"
# policy-rc.d 101: the package's service is not started (no init here, and not wanted)
policy=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e "$policy" ]]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy" && made_policy=1
fi
if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus; } >"$log" 2>&1; then
  tail -n 5 "$log" | sed 's/^/  apt-get: /'
  say "could not install prometheus"
fi
[[ $made_policy -eq 1 ]] && rm -f "$policy"
rm -f "$log"
exit 0
