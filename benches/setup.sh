#!/usr/bin/env bash
# Installs what the benchmarks read or run beside hashwall (Debian packages):
# the uBlock Origin package for real EasyList / EasyPrivacy / URLhaus data.
# Safe to re-run.
set -euo pipefail
if [ ! -d "/usr/share/mozilla/extensions/{ec8030f7-c20a-464f-9b0e-13a3a9e97384}/uBlock0@raymondhill.net/assets/thirdparties" ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq webext-ublock-origin-firefox
fi
echo "benchmark data ready"
