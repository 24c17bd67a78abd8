#!/usr/bin/env bash
# The Debian packages kinfold needs beyond Python: PostgreSQL 15 (production store, and
# the test suite's second backend), Node.js and npm (the web app's front-end packages),
# Chromium (the browser tests drive it; nothing is downloaded at test time) and Java 17
# (Spark's runtime, for --engine spark).
# Installs only what is missing.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
missing=()
[ -x /usr/lib/postgresql/15/bin/pg_ctl ] || missing+=(postgresql)
command -v npm >/dev/null || missing+=(nodejs npm)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
