#!/usr/bin/env bash
# Installs the system packages the sandbox uses, and the browser the report tests drive. Needs root
# and apt; elsewhere it warns: the grader falls back to weaker isolation (and says so in every
# result), and the browser tests skip.
set -u
PACKAGES="bubblewrap util-linux"
# Separate, so a host without a chromium package still gets the sandbox.
BROWSER_PACKAGES="chromium chromium-driver"
missing=""
command -v bwrap >/dev/null 2>&1 || missing="bubblewrap"
command -v setpriv >/dev/null 2>&1 || missing="$missing util-linux"
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v chromedriver >/dev/null 2>&1 || missing="$missing chromium-driver"
if [ -z "$missing" ]; then
    exit 0
fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "warning: cannot install $missing (needs root and apt-get)." >&2
    echo "warning: the grader will run submissions with weaker isolation and report it." >&2
    echo "warning: without chromium the HTML report browser tests skip." >&2
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null 2>&1 || echo "warning: apt-get update failed" >&2
apt-get install -y -qq $PACKAGES >/dev/null 2>&1 || echo "warning: could not install $PACKAGES; isolation will be weaker" >&2
apt-get install -y -qq $BROWSER_PACKAGES >/dev/null 2>&1 || echo "warning: could not install $BROWSER_PACKAGES; the browser tests will skip" >&2
