#!/usr/bin/env bash
# Refresh the vendored PDF.js (the grading page's report viewer) from npm: `bash scripts/vendor_pdfjs.sh`.
#
# Only this script needs npm; `make dev` and `make test` use the copy committed under
# courseportal/static/vendor/pdfjs/. It fetches the pdfjs-dist tarball of PDFJS_VERSION with
# `npm pack` (nothing is installed), checks it is the version asked for, and copies what the viewer
# loads: the library and its worker (minified ES modules), the CMaps (Chinese, Japanese and Korean
# fonts that a PDF names but does not embed), the standard fonts, the JavaScript image decoders
# (JBIG2 and JPEG 2000, used instead of WebAssembly, which the portal's Content-Security-Policy does
# not allow) and the licences. Then commit the folder.
set -euo pipefail

PDFJS_VERSION="${PDFJS_VERSION:-6.5.438}"
here="$(cd "$(dirname "$0")/.." && pwd)"
target="$here/courseportal/static/vendor/pdfjs"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "pdfjs-dist@$PDFJS_VERSION" >/dev/null)
tar -xzf "$work"/pdfjs-dist-*.tgz -C "$work"
package="$work/package"
found="$(node -p "require('$package/package.json').version")"
[ "$found" = "$PDFJS_VERSION" ] || { echo "expected pdfjs-dist $PDFJS_VERSION, got $found" >&2; exit 1; }

rm -rf "$target"
mkdir -p "$target/wasm"
cp "$package/build/pdf.min.mjs" "$package/build/pdf.worker.min.mjs" "$package/LICENSE" "$target/"
cp -r "$package/cmaps" "$package/standard_fonts" "$target/"
cp "$package/wasm/jbig2_nowasm_fallback.js" "$package/wasm/openjpeg_nowasm_fallback.js" \
   "$package/wasm/LICENSE_JBIG2" "$package/wasm/LICENSE_OPENJPEG" \
   "$package/wasm/LICENSE_PDFJS_JBIG2" "$package/wasm/LICENSE_PDFJS_OPENJPEG" "$target/wasm/"
echo "$PDFJS_VERSION" > "$target/VERSION"
echo "PDF.js $PDFJS_VERSION vendored in ${target#"$here"/}: $(du -sh "$target" | cut -f1)"
