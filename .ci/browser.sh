#!/usr/bin/env bash
# What the fieldwork-client tests need from Debian: Chromium (driven by Playwright; it never
# downloads a browser of its own), a CJK font so 中文 renders in the screenshots, and Node.js for
# the JavaScript parity tests. Installs only what is missing.
#
#   bash .ci/browser.sh
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -n "$(fc-list :lang=zh family 2>/dev/null)" ] || missing+=(fonts-noto-cjk)
command -v node >/dev/null || missing+=(nodejs)
if [ ${#missing[@]} -gt 0 ]; then
    echo "== browser: installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "== browser: $(/usr/bin/chromium --version 2>/dev/null | head -1), node $(node --version)"
