#!/usr/bin/env bash
# Makes sure espeak-ng (the offline speech backend) is installed: installs it
# with apt-get when this is Debian or Ubuntu and we are root; otherwise says
# how, and carries on (the audio step then fails with the same advice and
# jobs end "partial").
set -u
if command -v espeak-ng >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "espeak-ng is missing: installing it with apt-get…" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y -qq espeak-ng >/dev/null 2>&1 ||
     { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq espeak-ng >/dev/null 2>&1; }; then
    echo "espeak-ng installed." >&2
    exit 0
  fi
  echo "warning: apt-get could not install espeak-ng." >&2
fi
cat >&2 <<'MSG'
warning: espeak-ng is not installed, so the offline audio step will fail and
jobs that ask for audio will end "partial". Install it:
  Debian/Ubuntu: sudo apt-get install espeak-ng
  macOS:         brew install espeak-ng
MSG
exit 0
