#!/bin/sh
# Fetches nanopb's runtime (pb.h, pb_common.c, pb_encode.c, pb_decode.c and their headers)
# from Debian's nanopb SOURCE package, of the same version as the installed generator
# (the generated code and the runtime must match), into $1 (build/nanopb). Nothing from
# nanopb is kept in the repository (SPEC section 10). Cached: a second run does nothing.
# Needs a deb-src entry (tools/deps.sh adds one) and dpkg-dev.
set -eu

OUT=${1:?usage: fetch.sh OUTDIR}
VERSION=$(dpkg-query -W -f='${Version}' nanopb 2>/dev/null || true)
if [ -z "$VERSION" ]; then
    echo "nanopb is not installed: run tools/deps.sh" >&2
    exit 1
fi

STAMP="$OUT/runtime/.version"
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$VERSION" ]; then
    exit 0
fi

rm -rf "$OUT/src" "$OUT/runtime"
mkdir -p "$OUT/src" "$OUT/runtime"
echo "  NANOPB  apt-get source nanopb=$VERSION"
# apt-get as root warns that its download sandbox user cannot write here; harmless.
(cd "$OUT/src" && apt-get source -qq --download-only "nanopb=$VERSION" >/dev/null 2>&1) || {
    echo "apt-get source nanopb=$VERSION failed (is there a deb-src entry? run tools/deps.sh)" >&2
    exit 1
}
DSC=$(ls "$OUT"/src/nanopb_*.dsc | head -n1)
dpkg-source --no-check -x "$DSC" "$OUT/src/nanopb" >/dev/null
for f in pb.h pb_common.h pb_common.c pb_encode.h pb_encode.c pb_decode.h pb_decode.c LICENSE.txt; do
    cp "$OUT/src/nanopb/$f" "$OUT/runtime/$f"
done
echo "$VERSION" > "$STAMP"
