#!/usr/bin/env bash
# A real headless browser for the portal's end-to-end tests (tests/browser.py): Debian's chromium and
# chromium-driver (chromedriver of the same version), installed with apt-get when either is missing.
# Nothing is downloaded outside apt: no `playwright install`, no Selenium Manager (the tests pass
# /usr/bin/chromedriver explicitly). Waits for a dpkg/apt run that holds the lock (e.g. at boot).
set -euo pipefail

say() { echo "browser.sh: $*" >&2; }

CHROMIUM="${ARCHIVE_REPO_CHROMIUM:-/usr/bin/chromium}"
CHROMEDRIVER="${ARCHIVE_REPO_CHROMEDRIVER:-/usr/bin/chromedriver}"

have_browser() { [ -x "$CHROMIUM" ] && [ -x "$CHROMEDRIVER" ]; }

wait_for_apt() {
    # Another apt-get or dpkg (unattended upgrades, a provisioning step) holds the lock: wait up to 10 min.
    local waited=0
    while fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1; do
        if [ "$waited" -ge 600 ]; then
            say "apt/dpkg is still busy after 10 minutes; giving up"
            exit 2
        fi
        [ "$waited" = 0 ] && say "waiting for another apt/dpkg run to finish ..."
        sleep 5
        waited=$((waited + 5))
    done
}

if ! have_browser; then
    if ! command -v apt-get >/dev/null; then
        say "$CHROMIUM or $CHROMEDRIVER not found and apt-get is not available:" \
            "install Chromium and the matching chromedriver (Debian: chromium chromium-driver)."
        exit 2
    fi
    if [ "$(id -u)" != 0 ]; then
        say "$CHROMIUM or $CHROMEDRIVER not found: run as root, or: sudo apt-get install chromium chromium-driver"
        exit 2
    fi
    say "installing Chromium and chromedriver (chromium, chromium-driver) with apt-get ..."
    export DEBIAN_FRONTEND=noninteractive
    if command -v fuser >/dev/null; then
        wait_for_apt
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
    # fonts-dejavu-core: Vietnamese glyphs in the pages and screenshots, whatever else is installed.
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
        chromium chromium-driver fonts-dejavu-core >/dev/null
    if ! have_browser; then
        say "apt-get installed chromium and chromium-driver, but $CHROMIUM or $CHROMEDRIVER is still missing"
        exit 2
    fi
fi
# Both must be the same build: chromedriver refuses a browser of another major version.
browser_version="$("$CHROMIUM" --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1 || true)"
driver_version="$("$CHROMEDRIVER" --version 2>/dev/null | grep -oE '[0-9]+(\.[0-9]+)+' | head -n1 || true)"
if [ -z "$browser_version" ] || [ -z "$driver_version" ]; then
    say "cannot run $CHROMIUM --version or $CHROMEDRIVER --version"
    exit 2
fi
if [ "${browser_version%%.*}" != "${driver_version%%.*}" ]; then
    say "Chromium $browser_version and chromedriver $driver_version differ in major version:" \
        "apt-get install --only-upgrade chromium chromium-driver"
    exit 2
fi
