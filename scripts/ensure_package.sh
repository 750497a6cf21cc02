#!/usr/bin/env bash
# Make sure a program from a Debian package is installed:
#
#   scripts/ensure_package.sh /usr/bin/chromium chromium   (the browser tests)
#   scripts/ensure_package.sh /usr/bin/wrk wrk             (the portal benchmark)
#
#   - missing -> apt-get install <package> (sudo only when not root), and say so
# Idempotent; instant when the program is there.
set -euo pipefail

PROGRAM=$1
PACKAGE=$2
say() { echo "$PACKAGE: $*"; }

if [ -x "$PROGRAM" ]; then
    say "found at $PROGRAM"
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
say "not installed: installing Debian's $PACKAGE package (apt-get install $PACKAGE)"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -q >/dev/null || true
"${SUDO[@]}" apt-get install -y -q "$PACKAGE" >/dev/null
[ -x "$PROGRAM" ] || { echo "$PACKAGE: ERROR: $PROGRAM still missing after the install" >&2; exit 1; }
say "installed at $PROGRAM"
