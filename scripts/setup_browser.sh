#!/usr/bin/env bash
# Makes headless Chromium available for the browser tests (the HTML report, and the
# console served to a browser): Debian's `chromium` package.
#
# Idempotent: when `chromium` is on PATH it installs nothing. Never fails the test
# command: when it cannot install (no root, no apt-get, no network to Debian's
# mirror) it says why and exits 0; the browser tests then fail with that reason.
set -uo pipefail

say() { printf 'setup_browser: %s\n' "$*"; }

if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
  say "chromium is missing and installing it needs root and apt-get"
  exit 0
fi
say "installing Debian's chromium"
log="$(mktemp)"
if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$log" 2>&1; then
  tail -n 5 "$log" | sed 's/^/  apt-get: /'
  say "could not install chromium"
fi
rm -f "$log"
exit 0
