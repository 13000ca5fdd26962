#!/bin/sh
# Makes sure Debian's certmonger (the SCEP client the SCEP interoperability test drives: the certmonger
# daemon, getcert and scep-submit) and dbus-daemon (certmonger talks D-Bus; the test starts a private
# session bus) are present. Idempotent; installs only as root with apt-get; always exits 0 so callers
# decide (the test skips with a clear message when they are still missing, and fails under CI).
set -u

have_scep_submit() {
  [ -x /usr/lib/certmonger/scep-submit ] || [ -x /usr/libexec/certmonger/scep-submit ]
}

missing=""
command -v certmonger >/dev/null 2>&1 || [ -x /usr/sbin/certmonger ] || missing="$missing certmonger"
command -v getcert >/dev/null 2>&1 || missing="$missing getcert"
have_scep_submit || missing="$missing scep-submit"
command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus-daemon"

if [ -z "$missing" ]; then
  echo "ensure-certmonger: certmonger, getcert, scep-submit and dbus-daemon already present, nothing to do"
  exit 0
fi

if [ "$(id -u 2>/dev/null)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-certmonger: missing:$missing; not root or no apt-get, cannot install (the SCEP client test will skip)"
  exit 0
fi

# Refresh the package lists only when needed, and wait for a concurrent apt run instead of failing on its lock.
install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 certmonger dbus >"$log" 2>&1
}
refresh() {
  apt-get update -qq -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || true
}
log=$(mktemp)
updated=no
if ! apt-cache show certmonger dbus >/dev/null 2>&1; then
  refresh
  updated=yes
fi
if install || { [ "$updated" = no ] && refresh && install; }; then
  if have_scep_submit && command -v getcert >/dev/null 2>&1 && command -v dbus-daemon >/dev/null 2>&1; then
    echo "ensure-certmonger: installed certmonger and dbus with apt-get (were missing:$missing)"
  else
    echo "ensure-certmonger: apt-get installed certmonger dbus but scep-submit, getcert or dbus-daemon is still missing"
  fi
else
  echo "ensure-certmonger: apt-get install certmonger dbus failed (missing:$missing): $(tail -n 1 "$log")"
fi
rm -f "$log"
exit 0
