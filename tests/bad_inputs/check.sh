#!/bin/bash
# Run one bad input and check that it is rejected properly.
#
#   check.sh CASE.yaml COMMAND...
#
# CASE.yaml starts with "# expect: REGEX" (POSIX extended regex). The test
# passes when COMMAND (e.g. "solidanode run CASE.yaml", possibly under
# mpirun) exits within TIMEOUT seconds (default 60) with a non-zero status
# that is not a crash (signal) and its stdout+stderr matches REGEX. An
# MPI_Abort means the error reached only one rank: that is a failure too.
set -u
case_file=$1
shift
timeout_s=${TIMEOUT:-60}

expect=$(sed -n '1s/^# expect: //p' "$case_file")
if [ -z "$expect" ]; then
  echo "check.sh: $case_file has no '# expect: REGEX' first line" >&2
  exit 2
fi

output=$(timeout --kill-after=5 "$timeout_s" "$@" 2>&1)
status=$?
printf '%s\n' "$output"
echo "-- exit status $status"

if [ "$status" -eq 0 ]; then
  echo "FAIL: exit status 0, expected an error" >&2
  exit 1
fi
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
  echo "FAIL: no exit within $timeout_s s (hang?)" >&2
  exit 1
fi
if [ "$status" -gt 128 ]; then
  echo "FAIL: killed by signal $((status - 128)) (crash)" >&2
  exit 1
fi
if printf '%s\n' "$output" | grep -q "MPI_ABORT"; then
  echo "FAIL: MPI_Abort: the error was not collective" >&2
  exit 1
fi
if ! printf '%s\n' "$output" | grep -Eq -- "$expect"; then
  echo "FAIL: output does not match: $expect" >&2
  exit 1
fi
echo "PASS: rejected with the expected message"
