#!/usr/bin/env bash
# Installs the Debian packages the portal needs (CJK fonts for PDFs, gettext for translations,
# chromium for browser tests, poppler-utils for PDF checks) where apt-get is present.
set -u
missing=()
for pkg in "$@"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "注意 / note: apt-get not found; please install: ${missing[*]}" >&2
  exit 0
fi
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO="sudo"
echo "安装系统软件包 / installing system packages: ${missing[*]}"
$SUDO apt-get update -qq >/dev/null 2>&1 || true
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/tmp/riskcomp-apt.log 2>&1; then
  echo "注意 / note: apt-get install failed (see /tmp/riskcomp-apt.log): ${missing[*]}" >&2
fi
exit 0
