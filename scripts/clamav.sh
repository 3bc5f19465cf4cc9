#!/usr/bin/env bash
# ClamAV for the virus-scan tests: install Debian's clamav (clamscan) and clamav-daemon (clamd) with
# apt-get when either program is missing. Nothing else: no signature download (no freshclam), no service;
# the tests build their own tiny signature database and start their own clamd.
set -euo pipefail

say() { echo "clamav.sh: $*" >&2; }

have_clamd() { command -v clamd >/dev/null || [ -x /usr/sbin/clamd ]; }

if command -v clamscan >/dev/null && have_clamd; then
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    say "clamscan/clamd not found and apt-get is not available: install ClamAV (clamscan and clamd)."
    exit 2
fi
if [ "$(id -u)" != 0 ]; then
    say "clamscan/clamd not found: run as root, or: sudo apt-get install clamav clamav-daemon"
    exit 2
fi
say "installing ClamAV (clamav, clamav-daemon) with apt-get ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends clamav clamav-daemon >/dev/null
