#!/usr/bin/env bash
# Installs the pinned kustomize (from source, with the Go toolchain) into the Jingban cache
# and prints the binary's path on stdout. Idempotent: a cached binary of the pinned version
# is reused without touching the network.
#
#   KUSTOMIZE="$(deploy/k8s/tools.sh)" && "$KUSTOMIZE" build deploy/k8s/overlays/hz-p1
#
# Env: JINGBAN_CACHE (default ~/.cache/jingban), KUSTOMIZE_VERSION (default below).
set -euo pipefail

KUSTOMIZE_VERSION="${KUSTOMIZE_VERSION:-v5.7.1}"
BIN_DIR="${JINGBAN_CACHE:-$HOME/.cache/jingban}/bin"
KUSTOMIZE="$BIN_DIR/kustomize"

have_pinned() {
  [[ -x "$KUSTOMIZE" ]] && [[ "$("$KUSTOMIZE" version 2>/dev/null)" == "$KUSTOMIZE_VERSION" ]]
}

if ! have_pinned; then
  mkdir -p "$BIN_DIR"
  # Serialize concurrent callers (e.g. pytest-xdist workers) on one lock file.
  exec 9>"$BIN_DIR/.kustomize.lock"
  if command -v flock >/dev/null 2>&1; then flock 9; fi
  if ! have_pinned; then
    if ! command -v go >/dev/null 2>&1; then
      echo "tools.sh: kustomize $KUSTOMIZE_VERSION is not cached at $KUSTOMIZE and no Go toolchain is on PATH" >&2
      exit 1
    fi
    echo "tools.sh: installing kustomize $KUSTOMIZE_VERSION into $BIN_DIR ..." >&2
    start=$SECONDS
    GOBIN="$BIN_DIR" go install "sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}" >&2
    echo "tools.sh: installed in $((SECONDS - start))s" >&2
    have_pinned || { echo "tools.sh: $KUSTOMIZE does not report $KUSTOMIZE_VERSION" >&2; exit 1; }
  fi
fi

echo "$KUSTOMIZE"
