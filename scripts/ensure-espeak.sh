#!/usr/bin/env bash
# Makes sure the offline speech backend's commands are installed: espeak-ng
# (speech) and lame (the podcast's MP3 encoder). Installs what is missing
# with apt-get when this is Debian or Ubuntu and we are root; otherwise says
# how, and carries on (the audio step then fails with the same advice and
# jobs end "partial").
set -u
need=()
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v lame >/dev/null 2>&1 || need+=(lame)
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "${need[*]} missing: installing with apt-get…" >&2
  export DEBIAN_FRONTEND=noninteractive
  if apt-get install -y -qq "${need[@]}" >/dev/null 2>&1 ||
     { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; }; then
    echo "${need[*]} installed." >&2
    exit 0
  fi
  echo "warning: apt-get could not install ${need[*]}." >&2
fi
cat >&2 <<MSG
warning: ${need[*]} not installed, so the offline audio step will fail and
jobs that ask for audio will end "partial". Install:
  Debian/Ubuntu: sudo apt-get install ${need[*]}
  macOS:         brew install ${need[*]}
MSG
exit 0
