#!/usr/bin/env bash
# Instructions per URL of two commits, counted by callgrind (the same count
# on every run of the same binary and input: no timing noise on a shared
# machine). For each commit: build `url_instructions` (release) in a
# scratch worktree, run it under callgrind, and print the inclusive
# instructions of canonicalising and of checking the stream, per URL.
#
# Usage: benches/url_instructions.sh BEFORE [AFTER] [ENTRIES] [STREAM]
#        (AFTER defaults to HEAD; ENTRIES 100000, STREAM 20000)
# Needs valgrind. The bin is copied into the BEFORE tree when that commit
# predates it (the data generators it uses are unchanged since d40c5a1).
set -euo pipefail
cd "$(dirname "$0")/.."
BEFORE="$1"; AFTER="${2:-HEAD}"; ENTRIES="${3:-100000}"; STREAM="${4:-20000}"
command -v valgrind >/dev/null || { echo "valgrind is missing: apt-get install valgrind" >&2; exit 1; }
ROOT="$PWD"
SCRATCH="${SCRATCH:-$ROOT/target/url-instructions}"
mkdir -p "$SCRATCH"

count() { # COMMIT
  local rev tree out
  rev="$(git rev-parse --short "$1")"
  tree="$SCRATCH/tree-$rev"
  [ -d "$tree" ] || git worktree add -q --detach "$tree" "$rev"
  # Both trees build into one target directory, where cargo tells a path
  # crate's freshness by file times, not by its path: make this tree's
  # sources the newest, or the other commit's build may be taken as fresh.
  find "$tree" -name '*.rs' -not -path '*/target/*' -exec touch {} +
  cp "$ROOT/benches/src/bin/url_instructions.rs" "$tree/benches/src/bin/"
  CARGO_TARGET_DIR="$SCRATCH/target" cargo build -q --release -p hashwall-benches --bin url_instructions \
    --manifest-path "$tree/Cargo.toml"
  cp "$SCRATCH/target/release/url_instructions" "$SCRATCH/url_instructions-$rev"
  out="$SCRATCH/callgrind-$rev.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$SCRATCH/url_instructions-$rev" "$ENTRIES" "$STREAM" 2>/dev/null
  for f in canonicalise_stream check_stream; do
    ir=$(callgrind_annotate --inclusive=yes "$out" 2>/dev/null | awk -v f="url_instructions::$f" 'index($0, f) && !done {gsub(",", "", $1); print $1; done = 1}')
    printf '%s\t%s\t%s\t%.1f\n' "$rev" "$f" "$ir" "$(echo "$ir / $STREAM" | bc -l)"
  done
}

printf 'commit\tfunction\tinstructions\tper URL\n'
count "$BEFORE"
count "$AFTER"
