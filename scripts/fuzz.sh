#!/usr/bin/env bash
# Build every cargo-fuzz target of fuzz/ and run each for SECONDS (default 30), one after the other,
# on one core. Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
#
#   scripts/fuzz.sh [SECONDS] [TARGET…]
#
# Inputs: the committed seeds (fuzz/seeds/), testdata/ for the YAML targets (and ../shared/corpus/wild
# for yaml_oracle), and what earlier runs kept in fuzz/corpus/TARGET (git-ignored). A crash or a hang
# (an input over 30 s of wall time) stops the run with cargo-fuzz's report; the input is in fuzz/artifacts/TARGET/. Turn each one into a test in
# tests/fuzz_regressions.rs.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-30}
shift || true
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: needs cargo-fuzz on the nightly toolchain: rustup toolchain install nightly && cargo install cargo-fuzz" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Safe Rust: no sanitizer (twice the executions per second), but overflow checks and debug
# assertions on.
flags=(--sanitizer none --debug-assertions)
cargo +nightly fuzz build "${flags[@]}"
export RAYON_NUM_THREADS=1
for t in "${targets[@]}"; do
  corpus=fuzz/corpus/$t
  mkdir -p "$corpus"
  case $t in
    parse | lint) seeds=(fuzz/seeds/yaml testdata) max_len=65536 ;;
    # kubectl's reader is the oracle: it must be built, and the wild corpus (when it is beside the
    # checkout) gives it real manifests to start from.
    yaml_oracle)
      scripts/yaml-oracle.sh build
      seeds=(fuzz/seeds/yaml testdata)
      [ -d ../shared/corpus/wild ] && seeds+=(../shared/corpus/wild)
      max_len=65536
      ;;
    *) seeds=(fuzz/seeds/"$t") max_len=4096 ;;
  esac
  echo "== $t: ${secs} s"
  cargo +nightly fuzz run "${flags[@]}" "$t" "$corpus" "${seeds[@]}" -- \
    -max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 -max_len="$max_len" -print_final_stats=1
done
