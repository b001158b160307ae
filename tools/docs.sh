#!/usr/bin/env bash
# The API reference (docs/api): DocFX 2.81 generates it from the engine binding, the plugin SDK and the
# building blocks (their csproj files and XML documentation comments) into docs/api/_site, then its links
# are checked.
#   tools/docs.sh              install DocFX into .tools/docfx if missing, build the site, check its links
#   tools/docs.sh screenshot   also render the nn.Conv2d page to docs/api-reference.png (headless Chromium)
# Fails on any DocFX warning (an unresolved cross-reference, a broken link in a page: --warningsAsErrors)
# and on any internal href or src in the generated HTML that names no file or no anchor (tools/check-links.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
# DocFX 2.81 ships builds for .NET 8 to 10; roll forward should only the older ones be installed.
export DOTNET_ROLL_FORWARD=Major

version=2.81.0
tools="$root/.tools/docfx"
docfx="$tools/docfx"
log() { printf '\033[2m[docs] %s\033[0m\n' "$*" >&2; }

start=$SECONDS
if ! "$docfx" --version 2>/dev/null | grep -q "^$version"; then
  log "installing DocFX $version into .tools/docfx"
  rm -rf "$tools"
  dotnet tool install docfx --version "$version" --tool-path "$tools" >/dev/null
fi
setup=$((SECONDS - start))

out="$(mktemp)"
trap 'rm -f "$out"' EXIT
rm -rf docs/api/_site docs/api/reference
t0=$SECONDS
if ! "$docfx" docs/api/docfx.json --warningsAsErrors >"$out" 2>&1; then
  grep -E "warning|error" "$out" | grep -vE "^\s+[0-9]+ (warning|error)\(s\)" >&2 || cat "$out" >&2
  echo "docs: DocFX failed (warnings count as errors)" >&2
  exit 1
fi
build=$((SECONDS - t0))
pages=$(find docs/api/_site -name '*.html' | wc -l)
echo "docs: DocFX built $pages pages in ${build} s (setup ${setup} s): docs/api/_site/index.html"

t0=$SECONDS
python3 tools/check-links.py docs/api/_site
echo "docs: links checked in $((SECONDS - t0)) s"

if [ "${1:-}" = screenshot ]; then
  browser="$(command -v chromium || command -v chromium-browser || true)"
  if [ -z "$browser" ]; then echo "docs: the screenshot needs Chromium (apt-get install chromium)" >&2; exit 1; fi
  # Served over HTTP: the template loads its table of contents with fetch(), which file:// refuses.
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  python3 -m http.server "$port" --bind 127.0.0.1 --directory docs/api/_site >/dev/null 2>&1 &
  server=$!
  trap 'kill "$server" 2>/dev/null; rm -f "$out"' EXIT
  for _ in $(seq 50); do python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/')" 2>/dev/null && break; sleep 0.1; done
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1440,1300 --virtual-time-budget=5000 \
    --screenshot="$root/docs/api-reference.png" "http://127.0.0.1:$port/reference/RepLab.Torch.nn.Conv2d.html" >/dev/null 2>&1
  echo "docs: docs/api-reference.png"
fi
echo "docs: done in $((SECONDS - start)) s"
