#!/usr/bin/env bash
# What the tests need from Debian: Chromium (driven by Playwright; it never
# downloads a browser of its own), a CJK font so 中文 renders in the screenshots, and Node.js for
# the JavaScript parity tests, Java for ODK Validate, and R survey's api.rda for the analysis tests.
# Only what is missing.
#
#   bash .ci/debian.sh
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -n "$(fc-list :lang=zh family 2>/dev/null)" ] || missing+=(fonts-noto-cjk)
command -v node >/dev/null || missing+=(nodejs)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)  # ODK Validate (inside pyxform) checks our XForms
if [ ${#missing[@]} -gt 0 ]; then
    echo "== browser: installing ${missing[*]} from Debian"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "== debian: $(/usr/bin/chromium --version 2>/dev/null | head -1), node $(node --version), $(java -version 2>&1 | head -1)"

# R survey's api.rda (the apistrat/apiclus1 data the weighted-design tests check against R's
# published numbers): taken out of Debian's r-cran-survey package without installing R.
rda=.ci/cache/api.rda
if [ ! -f "$rda" ] && [ -f /usr/lib/R/site-library/survey/data/api.rda ]; then
    mkdir -p .ci/cache && cp /usr/lib/R/site-library/survey/data/api.rda "$rda"
fi
if [ ! -f "$rda" ]; then
    echo "== analysis: fetching r-cran-survey for api.rda"
    work=$(mktemp -d)
    (cd "$work" && apt-get download -qq r-cran-survey >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get download -qq r-cran-survey >/dev/null; })
    dpkg-deb -x "$work"/r-cran-survey_*.deb "$work/x"
    mkdir -p .ci/cache && cp "$work/x/usr/lib/R/site-library/survey/data/api.rda" "$rda"
    rm -rf "$work"
fi
echo "== analysis: $rda ($(stat -c %s "$rda") bytes)"
