#!/usr/bin/env bash
# Installs the Debian packages PatentDesk needs when they are missing:
# the CJK TrueType font embedded in receipts and notices; for the tests, Chromium (browser
# tests), poppler-utils (pdftotext reads back generated PDFs, pdfsig checks their PAdES
# signatures), libnss3-tools (certutil puts the test CA into pdfsig's NSS database) and
# softhsm2 (a real PKCS#11 token for the key-token tests).
# Usage: scripts/system-deps.sh run|test
set -eu
want="fonts-wqy-zenhei"
[ "${1:-run}" = "test" ] && want="$want chromium poppler-utils libnss3-tools softhsm2"
missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != "0" ]; then
  echo "PatentDesk needs the Debian packages:$missing — install them with: sudo apt-get install$missing" >&2
  exit 0
fi
echo "Installing Debian packages:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
