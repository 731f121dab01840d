#!/usr/bin/env bash
# The HTML test runs the Nu HTML Checker (vnu): its jar ships in the npm package vnu-jar, and
# Java comes from Debian's packages. Prints the jar's path; installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
VNU_VERSION=26.9.27
DIR=var/vnu
JAR="$DIR/node_modules/vnu-jar/build/dist/vnu.jar"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
missing=()
command -v java >/dev/null || missing+=(default-jre-headless)
command -v npm >/dev/null || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]} for the HTML checker…" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
mkdir -p "$DIR"
# Both test workers may ask at once on a fresh clone: one installs, the other waits for it
# (a half-written jar made java print nothing).
exec 9>"$DIR/.lock"
flock 9
if [ ! -f "$JAR" ] || [ "$(cat "$DIR/version" 2>/dev/null)" != "$VNU_VERSION" ]; then
  echo "Installing vnu-jar $VNU_VERSION from npm…" >&2
  npm install --prefix "$DIR" --no-save --no-audit --no-fund --loglevel=error \
    "vnu-jar@$VNU_VERSION" >&2
  echo "$VNU_VERSION" > "$DIR/version"
fi
echo "$JAR"
