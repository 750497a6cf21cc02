#!/usr/bin/env bash
# Make sure Debian's Chromium is at /usr/bin/chromium for the portal's browser tests
# (Playwright drives it; it never downloads a browser of its own).
#
#   - missing -> apt-get install chromium (sudo only when not root), and say so
# Idempotent; instant when Chromium is there. CLEP_CHROMIUM names another binary.
set -euo pipefail

CHROMIUM=${CLEP_CHROMIUM:-/usr/bin/chromium}
say() { echo "Chromium: $*"; }

if [ -x "$CHROMIUM" ]; then
    say "found at $CHROMIUM"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
say "not installed: installing Debian's chromium package (apt-get install chromium)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q >/dev/null || true
"${SUDO[@]}" apt-get install -y -q chromium >/dev/null
[ -x "$CHROMIUM" ] || { echo "Chromium: ERROR: $CHROMIUM still missing after the install" >&2; exit 1; }
say "installed at $CHROMIUM"
