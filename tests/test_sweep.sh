#!/bin/bash
# End to end: `solidanode sweep` on a 3-case study (one case invalid).
# Checks study.csv rows/columns, that the failing case is recorded and the
# others finish, and that a second invocation skips the finished cases.
# Usage: test_sweep.sh SOLIDANODE SOURCE_DIR WORK_DIR
set -euo pipefail
prog=$1 src=$2 work=$3
rm -rf "$work"; mkdir -p "$work"
out=$work/study
fail() { echo "FAIL: $*"; cat "$out/study.csv" 2>/dev/null || true; exit 1; }

set +e
"$prog" sweep "$src/tests/data/sweep/study.yaml" --np 1 --output "$out" > "$work/first.log" 2>&1
rc=$?
set -e
cat "$work/first.log"
[ "$rc" -eq 1 ] || fail "first sweep exit code $rc, expected 1 (one case fails)"
csv=$out/study.csv
[ -f "$csv" ] || fail "no study.csv"
[ "$(wc -l < "$csv")" -eq 4 ] || fail "study.csv should have a header and 3 rows"
header=$(head -1 "$csv" | sed 's/"//g')
for col in case 'steps[0].top' materials.Si.nu microstructure.generate.dims final_porosity \
           final_contact_area_Si_LPSCl_m2 change_contact_area_Si_LPSCl_m2 \
           peak_von_mises_Si_Pa peak_p99_von_mises_LPSCl_Pa stack_pressure_change_Pa \
           thickness_change_m wall_time_s status error; do
  echo ",$header," | grep -qF ",$col," || fail "study.csv lacks column '$col'"
done
# Fields are quoted as RFC 4180 says (values with commas, errors): read with csv.
col() { python3 -c 'import csv, sys; print(list(csv.DictReader(open(sys.argv[1], newline="")))[int(sys.argv[3]) - 1][sys.argv[2]])' "$csv" "$1" "$2"; }
[ "$(col status 1)" = finished ] || fail "case 0 not finished"
[ "$(col status 2)" = finished ] || fail "case 1 not finished"
case "$(col status 3)" in "failed (exit code 1)") ;; *) fail "case 2 not recorded as failed" ;; esac
col error 3 | grep -q "Poisson ratio" || fail "case 2's error does not name the problem"
[ "$(col 'steps[0].top' 2)" = "30 MPa" ] || fail "parameter value not as given"
[ "$(col microstructure.generate.dims 2)" = "[12, 12, 12]" ] || fail "list value not as given"

# Resume: finished cases are skipped (their run.json is untouched).
t0=$(stat -c %Y.%N "$out/case_0000/run.json"); t1=$(stat -c %Y.%N "$out/case_0001/run.json")
sleep 1
set +e
"$prog" sweep "$src/tests/data/sweep/study.yaml" --np 1 --output "$out" > "$work/second.log" 2>&1
set -e
cat "$work/second.log"
grep -q "case_0000: finished earlier, skipped" "$work/second.log" || fail "case 0 not skipped"
grep -q "1 run, 2 skipped, 1 failed" "$work/second.log" || fail "resume summary wrong"
[ "$t0" = "$(stat -c %Y.%N "$out/case_0000/run.json")" ] || fail "case 0 was run again"
[ "$t1" = "$(stat -c %Y.%N "$out/case_0001/run.json")" ] || fail "case 1 was run again"

# --collect rebuilds the same table; --dry-run lists the cases.
cp "$csv" "$work/before.csv"
"$prog" sweep "$src/tests/data/sweep/study.yaml" --output "$out" --collect
cmp -s "$csv" "$work/before.csv" || fail "--collect changed study.csv"
# --dry-run checks the cases: the invalid one is flagged and the exit code is 1.
set +e
"$prog" sweep "$src/tests/data/sweep/study.yaml" --output "$out" --dry-run > "$work/dry.log" 2>&1
rc=$?
set -e
cat "$work/dry.log"
[ "$rc" -eq 1 ] || fail "--dry-run exit code $rc with an invalid case, expected 1"
grep -q "3 case(s), mode list" "$work/dry.log" || fail "--dry-run output"
grep -q "^  case_0002:.*\[invalid: .*Poisson ratio" "$work/dry.log" || fail "--dry-run does not flag case 2"
[ "$(grep -c '\[invalid: ' "$work/dry.log")" -eq 1 ] || fail "--dry-run flags a valid case"
"$prog" sweep "$src/tests/data/sweep/study.yaml" --output "$out" --dry-run --case 0 > "$work/dry0.log" \
  || fail "--dry-run --case 0 (valid) should exit 0"
# srun as the launcher: given --ntasks=N, not -np N.
printf '#!/bin/bash\necho "$@" > "%s/srun_args"\nexit 0\n' "$work" > "$work/srun"
chmod +x "$work/srun"
SOLIDANODE_MPIRUN="$work/srun" "$prog" sweep "$src/tests/data/sweep/study.yaml" --np 3 \
  --output "$work/srun_out" --case 1 > "$work/srun.log" 2>&1 || true
grep -q -- "^--ntasks=3 .* run .*case_0001/case.yaml" "$work/srun_args" \
  || fail "srun launcher got '$(cat "$work/srun_args" 2>/dev/null)', expected '--ntasks=3 PROGRAM run ...'"
grep -q -- "-np" "$work/srun_args" && fail "srun launcher was given -np"
# --case K runs only case K.
rm -rf "$out/case_0000"
"$prog" sweep "$src/tests/data/sweep/study.yaml" --np 1 --output "$out" --case 0 > "$work/third.log"
grep -q "1 run, 0 skipped, 0 failed" "$work/third.log" || fail "--case 0"
# SIGTERM to the sweep (a scheduler's warning) reaches the case's launcher
# as SIGUSR1: mpirun forwards SIGUSR1 to the ranks, which checkpoint, but
# kills them 1 s after a SIGTERM. A stand-in launcher records what it gets.
cat > "$work/launcher.sh" <<'EOF'
#!/bin/bash
trap 'echo USR1 >> "$SIGNAL_LOG"; exit 3' USR1
trap 'echo TERM >> "$SIGNAL_LOG"; exit 143' TERM
echo started >> "$SIGNAL_LOG"
sleep 60 & wait $!
EOF
chmod +x "$work/launcher.sh"
export SIGNAL_LOG=$work/signals.log
SOLIDANODE_MPIRUN="$work/launcher.sh" "$prog" sweep "$src/tests/data/sweep/study.yaml" --np 2 \
  --output "$work/signalled" > "$work/signalled.log" 2>&1 &
sweep_pid=$!
for _ in $(seq 100); do grep -q started "$SIGNAL_LOG" 2>/dev/null && break; sleep 0.1; done
grep -q started "$SIGNAL_LOG" || fail "the stand-in launcher did not start"
kill -TERM "$sweep_pid"
set +e; wait "$sweep_pid"; rc=$?; set -e
unset SIGNAL_LOG
cat "$work/signalled.log"
[ "$rc" -eq 3 ] || fail "signalled sweep exit code $rc, expected 3 (stopped)"
[ "$(grep -c . "$work/signals.log")" -eq 2 ] && grep -qx USR1 "$work/signals.log" \
  || fail "the case got '$(tr '\n' ' ' < "$work/signals.log")', expected 'started USR1'"

# The study plot: one PNG per requested outcome (needs Debian's matplotlib).
if /usr/bin/python3 -c "import matplotlib" 2>/dev/null; then
  /usr/bin/python3 "$src/postprocess/plot_study.py" "$csv" --x case \
    --y thickness_change_m --output "$work/plot.png" || fail "plot_study.py"
  [ "$(stat -c %s "$work/plot.png")" -gt 5000 ] || fail "plot_study.py wrote no real PNG"
else
  echo "note: python3-matplotlib missing, plot_study.py not checked"
fi
echo "test_sweep.sh: OK"
