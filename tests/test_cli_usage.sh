#!/bin/bash
# Command-line mistakes: each exits non-zero (2 for usage) with a message on
# stderr that starts with "solidanode: error:" and says what was expected;
# root-only commands (info, generate, analyze) fail on every rank without
# MPI_ABORT; a failing sweep case is reported on stderr.
# Usage: test_cli_usage.sh SOLIDANODE_BINARY WORKDIR SOURCE_DIR [MPIEXEC...]
set -uo pipefail
bin="$1"
work="$2"
src="$3"
shift 3
launcher=("$@")
rm -rf "$work"
mkdir -p "$work"
cd "$work" || exit 1
n_fail=0
# expect STATUS REGEX COMMAND...: stderr matches REGEX, exit status STATUS.
expect() {
  local want=$1 regex=$2
  shift 2
  local err status
  err=$(timeout 60 "$@" 2>&1 >/dev/null)
  status=$?
  if [ "$status" -ne "$want" ] || ! printf '%s\n' "$err" | grep -Eq -- "$regex" ||
     printf '%s\n' "$err" | grep -q MPI_ABORT; then
    echo "FAIL: $* -> status $status (expected $want), stderr:"
    printf '%s\n' "$err" | head -5
    n_fail=$((n_fail + 1))
  else
    echo "ok: $*"
  fi
}
demo="$src/inputs/demo.yaml"
expect 2 "^solidanode: error: no command given" "$bin"
expect 2 "^solidanode: error: unknown command 'runn' \(expected run, " "$bin" runn x.yaml
expect 2 "^solidanode: error: unknown option '--overwirte'" "$bin" run "$demo" --overwirte
expect 2 "^solidanode: error: 'run' expects 1 argument\(s\), got 0" "$bin" run
expect 2 "^solidanode: error: --max-increments must be at least 1, got '0'" \
  "$bin" run "$demo" --max-increments 0
expect 2 "^solidanode: error: --max-increments needs a whole number from 1 to 999999999, got '99999999999999999999'" \
  "$bin" run "$demo" --max-increments 99999999999999999999
expect 2 "^solidanode: error: --max-increments needs a whole number .*got '-1'" \
  "$bin" run "$demo" --max-increments -1
expect 2 "^solidanode: error: --restart and --overwrite exclude each other" \
  "$bin" run "$demo" --restart --overwrite
expect 2 "^solidanode: error: --np 100000 is more than 16 ranks per core" \
  env -u SOLIDANODE_MPIRUN "$bin" sweep "$src/inputs/studies/si_ratio.yaml" --np 100000
expect 2 "^solidanode: error: --np needs a whole number below 10\^9, got '99999999999'" \
  "$bin" sweep "$src/inputs/studies/si_ratio.yaml" --np 99999999999
expect 2 "^solidanode: error: --np must be at least 1" \
  "$bin" sweep "$src/inputs/studies/si_ratio.yaml" --np 0
# Root-only work, on 1 and (with a launcher) 2 ranks: collective errors.
expect 1 "^solidanode: error: cannot read '[^']*nothing.vti'" "${launcher[@]}" "$bin" info nothing.vti
expect 1 "^solidanode: error: cannot read '[^']*nothing.vti'" "${launcher[@]}" "$bin" analyze nothing.vti
expect 1 "^solidanode: error: cannot (write|create)" \
  "${launcher[@]}" "$bin" generate "$demo" /nonexistent-dir/x/y.vti

# Non-regular files (a FIFO would block a reader, /dev/zero never ends):
# refused by name, as the case file and as the image, on every rank.
mkfifo fifo.yaml fifo.vti
expect 1 "^solidanode: error: fifo.yaml: cannot read input file: it is a FIFO \(named pipe\), expected a regular file" \
  "${launcher[@]}" "$bin" run fifo.yaml
cat > fifo_image.yaml <<'YAML'
microstructure: {vti: fifo.vti}
materials: {Si: {E: 90 GPa, nu: 0.22}}
steps: [{top: 10 MPa}]
YAML
expect 1 "^solidanode: error: cannot read '[^']*fifo.vti': it is a FIFO \(named pipe\), expected a regular file" \
  "${launcher[@]}" "$bin" run fifo_image.yaml
expect 1 "^solidanode: error: cannot read '[^']*fifo.vti': it is a FIFO" \
  "${launcher[@]}" "$bin" generate fifo_image.yaml out.vti
expect 1 "^solidanode: error: cannot read 'fifo.vti': it is a FIFO" "$bin" info fifo.vti

# A sweep whose only case fails: reported on stderr, exit 1.
cat > base.yaml <<'YAML'
microstructure:
  raw: {file: missing.raw, dims: [2, 2, 2], voxel_size: 1 um}
  phases: {1: Si}
materials:
  Si: {E: 90 GPa, nu: 0.22}
steps:
  - {top: 10 MPa}
YAML
cat > study.yaml <<'YAML'
base: base.yaml
parameters:
  steps[0].top: [10 MPa]
YAML
expect 1 "^solidanode: error: case_0000 failed \(exit code 1\): .*missing.raw" \
  "$bin" sweep study.yaml --np 1 --output sweep_out
echo "$n_fail failure(s)"
[ "$n_fail" -eq 0 ]
