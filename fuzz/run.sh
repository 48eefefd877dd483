#!/usr/bin/env bash
# Builds the fuzz targets and runs each for SECONDS (README "Fuzzing"), one after the other on
# one core, then prints the executions and crashes per target; exits 1 when a target crashed
# (the input is kept in fuzz/artifacts/TARGET/, the log in fuzz/work/TARGET.log).
#
#   bash fuzz/run.sh SECONDS [TARGET...]
#
# cargo-fuzz on the stable toolchain (docs/decisions.md §20): RUSTC_BOOTSTRAP=1 lets it pass the
# unstable flags libFuzzer's instrumentation needs. No sanitizer: the code fuzzed is safe Rust,
# where a bug shows as a panic or a broken property, and the build and the runs are faster.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
  targets=(v2_reader legacy_reader config_php course_map cookie web_forms)
fi

dict_of() {
  case $1 in
    v2_reader | legacy_reader) echo fuzz/dict/json.dict ;;
    config_php) echo fuzz/dict/php.dict ;;
    web_forms) echo fuzz/dict/forms.dict ;;
    *) echo "" ;;
  esac
}

export RUSTC_BOOTSTRAP=1
fuzz=(cargo fuzz)
build_start=$(date +%s)
build_log=fuzz/work/build.log
mkdir -p fuzz/work
if ! "${fuzz[@]}" build --release --sanitizer none >"$build_log" 2>&1; then
  cat "$build_log" >&2
  exit 1
fi
echo "fuzz: targets built in $(($(date +%s) - build_start)) s"

# The binaries are run directly (as `cargo fuzz run` does), so that editing the sources during
# a long run does not rebuild under it.
bin_dir=fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release
summary=()
failed=0
for target in "${targets[@]}"; do
  # New inputs go to fuzz/work/TARGET; the seeds in fuzz/corpus/TARGET stay as committed.
  mkdir -p "fuzz/work/$target" "fuzz/artifacts/$target" "fuzz/corpus/$target"
  args=(-max_total_time="$seconds" -timeout=30 -print_final_stats=1)
  dict=$(dict_of "$target")
  if [ -n "$dict" ]; then args+=(-dict="$dict"); fi
  log="fuzz/work/$target.log"
  before=$(find "fuzz/artifacts/$target" -type f | wc -l)
  status=0
  "$bin_dir/$target" -artifact_prefix="fuzz/artifacts/$target/" "${args[@]}" \
    "fuzz/work/$target" "fuzz/corpus/$target" >"$log" 2>&1 || status=$?
  crashes=$(($(find "fuzz/artifacts/$target" -type f | wc -l) - before))
  if [ "$status" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  # libFuzzer's own count: its final statistics, else "Done N runs", else the last status line.
  runs=$(sed -n 's/^stat::number_of_executed_units: *\([0-9]*\).*/\1/p' "$log" | tail -n 1)
  if [ -z "$runs" ]; then runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -n 1); fi
  if [ -z "$runs" ]; then runs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -n 1); fi
  line=$(printf '%-14s %12s executions  %d crashes' "$target" "${runs:-?}" "$crashes")
  summary+=("$line")
  echo "fuzz: $line"
  if [ "$crashes" -ne 0 ]; then
    failed=1
    grep -E "panicked at|ERROR: libFuzzer|Test unit written to" "$log" | head -n 5 >&2 || true
  fi
done

echo "fuzz: ${seconds} s a target"
printf '  %s\n' "${summary[@]}"
exit "$failed"
