#!/usr/bin/env bash
# The browser tests drive Debian's chromium; install it from Debian's packages when it is missing.
set -euo pipefail
# A small CJK font too, so the screenshots show Chinese rather than empty boxes.
if [ -x /usr/bin/chromium ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi
echo "Installing Debian's chromium (and a Chinese font) for the browser tests…"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
