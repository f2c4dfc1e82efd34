#!/bin/bash
# Run every fuzz target for a time budget (used by `make fuzz`).
#
#   fuzz/run.sh BUILD_DIR [SECONDS]
#
# Seeds: fuzz/seeds/<reader>/, the cases in inputs/, tests/data/ and
# tests/bad_inputs/ (case reader) and the images in tests/bad_inputs/ (vti);
# small TIFF, MetaImage and CSV files in fuzz/seeds/{tiff,mhd,csv}.
# New interesting inputs go to BUILD_DIR/corpus/<target>/, crashes to
# BUILD_DIR/crashes/<target>-*. Exits non-zero if any target found a crash.
set -u
build=$1
seconds=${2:-60}
src=$(cd "$(dirname "$0")/.." && pwd)

# MPI and VTK are not involved, but yaml-cpp and VTK are not instrumented:
# report only our own leaks of the whole run, not one per input.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:fast_unwind_on_malloc=0:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$src/fuzz/lsan.supp:print_suppressions=0}

status=0
for target in fuzz_case_reader fuzz_vti_reader fuzz_raw_reader fuzz_tiff_reader \
              fuzz_mhd_reader fuzz_names_csv; do
  corpus=$build/corpus/$target
  seeds=$build/seeds/$target
  mkdir -p "$corpus" "$seeds" "$build/crashes"
  case $target in
    fuzz_case_reader)
      cp "$src"/inputs/*.yaml "$src"/tests/data/*.yaml "$src"/tests/bad_inputs/*.yaml \
         "$src"/tests/bad_inputs/*/*.yaml "$seeds"/ 2>/dev/null
      cp "$src"/fuzz/seeds/case/* "$seeds"/ 2>/dev/null ;;
    fuzz_vti_reader)
      cp "$src"/fuzz/seeds/vti/* "$src"/tests/bad_inputs/*.vti "$seeds"/ 2>/dev/null ;;
    fuzz_raw_reader)
      cp "$src"/fuzz/seeds/raw/* "$seeds"/ 2>/dev/null ;;
    fuzz_tiff_reader)
      cp "$src"/fuzz/seeds/tiff/* "$seeds"/ 2>/dev/null ;;
    fuzz_mhd_reader)
      cp "$src"/fuzz/seeds/mhd/* "$seeds"/ 2>/dev/null ;;
    fuzz_names_csv)
      cp "$src"/fuzz/seeds/csv/* "$seeds"/ 2>/dev/null ;;
  esac
  echo "== $target: $seconds s"
  if ! "$build/$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
         -max_len=8192 -print_final_stats=1 \
         -artifact_prefix="$build/crashes/$target-" "$corpus" "$seeds" \
         > "$build/$target.log" 2>&1; then
    echo "   CRASH: see $build/$target.log and $build/crashes/$target-*"
    tail -n 40 "$build/$target.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb|^Done" "$build/$target.log" |
      sed 's/^/   /'
  fi
done
exit $status
