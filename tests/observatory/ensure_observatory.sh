#!/usr/bin/env bash
# tests/test_observatory.py grades the site with Mozilla's HTTP Observatory scorer, the npm
# package @mdn/mdn-http-observatory pinned in tests/observatory/package-lock.json. Installs it
# under var/observatory when the lock changed (npm and iproute2 from Debian's packages when
# missing) and prints the path of its command-line scanner.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=var/observatory
PACKAGE="$DIR/node_modules/@mdn/mdn-http-observatory"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
# The site is served in a network namespace of its own: unshare (util-linux) makes it, ip
# (iproute2) brings its loopback up.
missing=()
command -v npm >/dev/null || missing+=(npm)
command -v ip >/dev/null || missing+=(iproute2)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} for the Observatory test…" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
if ! cmp -s tests/observatory/package-lock.json "$DIR/package-lock.json" || [ ! -d "$PACKAGE" ]; then
  echo "Installing the Observatory scorer from npm…" >&2
  mkdir -p "$DIR"
  cp tests/observatory/package.json tests/observatory/package-lock.json "$DIR/"
  # No install scripts: they download Chromium's HSTS preload list, a top-level-domain list and
  # Mozilla's intermediate certificates from outside the registry, which a scan of a host we
  # make ourselves does not need (see below, and the CA in tests/test_observatory.py).
  npm ci --prefix "$DIR" --ignore-scripts --no-audit --no-fund --loglevel=error >&2
fi
# The scorer reads the HSTS preload list its install script would have fetched. The test's host
# is on no preload list, so an empty one gives the answer the full list would: not preloaded.
[ -f "$PACKAGE/conf/hsts-preload.json" ] || echo '{}' > "$PACKAGE/conf/hsts-preload.json"
echo "$PACKAGE/src/scan.js"
