#!/usr/bin/env bash
# Set up a fresh Debian 12 + Node 20 machine for daqsim: the Debian validators the tests compare against,
# pnpm 10 (through npm; corepack cannot verify pnpm's signature on this registry), and the workspace's packages.
# Idempotent: it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(fitsverify libcfitsio-bin python3-astropy python3-fitsio python3-numpy astropy-utils redis-server chromium ceph-mon ceph-osd radosgw ceph-common uuid-runtime curl)
SUDO=""
if [ "$(id -u)" != "0" ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PNPM_VERSION="10.34.9"
if ! command -v pnpm >/dev/null || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm $PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION" >/dev/null 2>&1 || $SUDO npm install -g --silent "pnpm@$PNPM_VERSION"
fi

if [ -n "${CI:-}" ]; then
  pnpm install --frozen-lockfile --reporter=append-only
else
  pnpm install --frozen-lockfile --reporter=silent
fi
pnpm build
echo "setup: ready (node $(node --version), pnpm $(pnpm --version))"
