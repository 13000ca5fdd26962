#!/bin/sh
# Makes sure the SCEP clients the interoperability tests drive are present: Debian's certmonger (daemon,
# getcert and scep-submit) with dbus-daemon (certmonger talks D-Bus; the test starts a private bus), and
# micromdm's scepclient (Debian package "scep"). Idempotent; installs only as root with apt-get; always
# exits 0 so callers decide (the tests skip with a clear message when a client is still missing, and fail
# under CI).
set -u

have_scep_submit() {
  [ -x /usr/lib/certmonger/scep-submit ] || [ -x /usr/libexec/certmonger/scep-submit ]
}

missing=""
command -v certmonger >/dev/null 2>&1 || [ -x /usr/sbin/certmonger ] || missing="$missing certmonger"
command -v getcert >/dev/null 2>&1 || missing="$missing getcert"
have_scep_submit || missing="$missing scep-submit"
command -v dbus-daemon >/dev/null 2>&1 || missing="$missing dbus-daemon"
command -v scepclient >/dev/null 2>&1 || missing="$missing scepclient"

if [ -z "$missing" ]; then
  echo "ensure-scep-clients: certmonger, getcert, scep-submit, dbus-daemon and scepclient already present, nothing to do"
  exit 0
fi

if [ "$(id -u 2>/dev/null)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-scep-clients: missing:$missing; not root or no apt-get, cannot install (the SCEP client tests will skip)"
  exit 0
fi

# Refresh the package lists only when needed, and wait for a concurrent apt run instead of failing on its lock.
install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 certmonger dbus scep >"$log" 2>&1
}
refresh() {
  apt-get update -qq -o DPkg::Lock::Timeout=300 >"$log" 2>&1 || true
}
log=$(mktemp)
updated=no
if ! apt-cache show certmonger dbus scep >/dev/null 2>&1; then
  refresh
  updated=yes
fi
if install || { [ "$updated" = no ] && refresh && install; }; then
  if have_scep_submit && command -v getcert >/dev/null 2>&1 && command -v dbus-daemon >/dev/null 2>&1 &&
    command -v scepclient >/dev/null 2>&1; then
    echo "ensure-scep-clients: installed certmonger, dbus and scep with apt-get (were missing:$missing)"
  else
    echo "ensure-scep-clients: apt-get installed certmonger dbus scep but a client is still missing"
  fi
else
  echo "ensure-scep-clients: apt-get install certmonger dbus scep failed (missing:$missing): $(tail -n 1 "$log")"
fi
rm -f "$log"
exit 0
