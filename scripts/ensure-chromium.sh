#!/bin/sh
# Makes sure Debian's Chromium, Firefox ESR and NSS tools (certutil, pk12util) are present for the
# browser tests.
# Idempotent; installs only as root with apt-get; always exits 0 so callers decide (the browser tests
# skip with a clear message when Chromium is still missing).
set -u

missing=""
[ -x /usr/bin/chromium ] || missing="$missing chromium"
command -v certutil >/dev/null 2>&1 || missing="$missing certutil"
[ -x /usr/bin/firefox-esr ] || missing="$missing firefox-esr"

if [ -z "$missing" ]; then
  echo "ensure-chromium: chromium, firefox-esr and certutil already present, nothing to do"
  exit 0
fi

if [ "$(id -u 2>/dev/null)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-chromium: missing:$missing; not root or no apt-get, cannot install (browser tests will skip)"
  exit 0
fi

# Refresh the package lists only when needed: apt cannot see the packages, or (below) the lists were
# stale and the download failed. Wait for another apt run (a concurrent CI step) instead of failing on its lock.
install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium firefox-esr libnss3-tools >"$log" 2>&1
}
refresh() {
  apt-get update -qq -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || true
}
log=$(mktemp)
updated=no
if ! apt-cache show chromium firefox-esr libnss3-tools >/dev/null 2>&1; then
  refresh
  updated=yes
fi
if install || { [ "$updated" = no ] && refresh && install; }; then
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/firefox-esr ] && command -v certutil >/dev/null 2>&1; then
    echo "ensure-chromium: installed chromium, firefox-esr and libnss3-tools with apt-get (were missing:$missing)"
  else
    echo "ensure-chromium: apt-get installed chromium firefox-esr libnss3-tools but /usr/bin/chromium, /usr/bin/firefox-esr or certutil (on PATH) is still missing (browser tests will skip)"
  fi
else
  echo "ensure-chromium: apt-get install chromium firefox-esr libnss3-tools failed (missing:$missing; browser tests will skip): $(tail -n 1 "$log")"
fi
rm -f "$log"
exit 0
