#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + LeakSanitizer) and
# runs each for N seconds (default 60) from its committed seed corpus.
#
#   tests/fuzz/run_fuzz.sh [seconds] [target ...]
#   tests/fuzz/run_fuzz.sh --make-corpus   (rewrites tests/fuzz/corpus/)
#
# Targets: deserialize_fuzzer, descriptor_fuzzer, tensor_io_fuzzer (all by
# default). Prints per target the executions run and the crashes found;
# exits 1 if any target crashed (the crashing inputs are kept in
# $HINM_FUZZ_OUT, default /tmp/hinm_fuzz/out, as <target>-crash-*/leak-*/
# timeout-*: once fixed, copy each into tests/fuzz/regression/<target>/, where
# //tests/fuzz:<target>_replay replays it on every `bazel test`).
#
# Bazel's toolchain here is gcc, so the script compiles the core
# (cpp/hinm/*.cc without the GPU dispatch), the C shim and the targets with
# clang++ itself; tests/fuzz/no_device.cc stands in for the GPU side.
# Needs clang and libclang-rt-dev (libFuzzer), and the CUDA headers
# (/usr/local/cuda/include) that cpp/hinm/dispatch.h includes.
set -euo pipefail
cd "$(dirname "$0")/../.."

make_corpus=0
if [ "${1:-}" = "--make-corpus" ]; then make_corpus=1; shift; fi
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(deserialize_fuzzer descriptor_fuzzer tensor_io_fuzzer)

CXX="${CXX_FUZZ:-clang++}"
if ! command -v "$CXX" >/dev/null 2>&1 ||
   ! echo 'extern "C" int LLVMFuzzerTestOneInput(const char*, unsigned long) { return 0; }' |
     "$CXX" -x c++ -fsanitize=fuzzer - -o /dev/null >/dev/null 2>&1; then
  echo "run_fuzz.sh: $CXX with libFuzzer is needed (Debian: apt-get install clang libclang-rt-dev)"
  exit 2
fi
cuda_inc="${CUDA_HOME:-/usr/local/cuda}/include"
work="${HINM_FUZZ_DIR:-/tmp/hinm_fuzz}"
out="${HINM_FUZZ_OUT:-$work/out}"
build="$work/build"
mkdir -p "$build" "$out"

san=(-fsanitize=address,undefined -fno-sanitize-recover=undefined)
flags=(-std=c++17 -O1 -g -fno-omit-frame-pointer "${san[@]}" -I. -Ic_api/include -I"$cuda_inc")

# Compile every source whose object is older than it (or than any header).
sources=()
for f in cpp/hinm/*.cc; do
  case "$(basename "$f")" in dispatch*|device_*) continue ;; esac
  sources+=("$f")
done
sources+=(c_api/hinm.cc tests/fuzz/no_device.cc)
newest_header=$(ls -t cpp/hinm/*.h c_api/*.h c_api/include/hinm/hinm.h tests/fuzz/*.h | head -1)
echo "== building fuzzers with $($CXX --version | head -1)"
t0=$(date +%s)
objs=()
todo=()
for src in "${sources[@]}"; do
  obj="$build/$(echo "$src" | tr / _).o"
  objs+=("$obj")
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
    todo+=("$src")
  fi
done
if [ ${#todo[@]} -gt 0 ]; then
  printf '%s\n' "${todo[@]}" | xargs -P "$(nproc)" -I{} sh -c \
    'src={}; obj='"$build"'/$(echo "$src" | tr / _).o; '"$CXX"' '"${flags[*]}"' -fsanitize=fuzzer-no-link -c "$src" -o "$obj"'
fi
# The targets play a C caller, which may pass any int for an enum (7 for a
# hinmDataType_t): -fno-sanitize=enum for their own file only (the library
# reads enums through their bytes and keeps every check).
for t in "${targets[@]}"; do
  "$CXX" "${flags[@]}" -fno-sanitize=enum -fsanitize=fuzzer "tests/fuzz/$t.cc" "${objs[@]}" -pthread -o "$build/$t"
done
echo "   built in $(( $(date +%s) - t0 )) s"

if [ "$make_corpus" -eq 1 ]; then  # regenerate the committed seeds
  "$CXX" "${flags[@]}" -fno-sanitize=enum tests/fuzz/make_corpus.cc "${objs[@]}" -pthread -o "$build/make_corpus"
  for t in deserialize_fuzzer descriptor_fuzzer tensor_io_fuzzer; do
    rm -rf "tests/fuzz/corpus/$t"
    mkdir -p "tests/fuzz/corpus/$t"
  done
  "$build/make_corpus" tests/fuzz/corpus tests/cpp/io/testdata
  exit 0
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
status=0
for t in "${targets[@]}"; do
  corpus="$work/corpus/$t"  # the seeds plus what this run finds (not committed)
  mkdir -p "$corpus"
  rm -f "$out/$t-"*
  log="$work/$t.log"
  echo "== $t: ${seconds} s"
  set +e
  "$build/$t" "$corpus" "tests/fuzz/corpus/$t" -max_total_time="$seconds" -timeout=10 \
    -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 -artifact_prefix="$out/$t-" \
    >"$log" 2>&1
  rc=$?
  set -e
  execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -Eo '[0-9]+$' || echo "?")
  crashes=$(ls "$out" 2>/dev/null | grep -c "^$t-" || true)
  echo "   executions: $execs  crashes: $crashes  exit: $rc  (log $log)"
  if [ "$rc" -ne 0 ] || [ "$crashes" -ne 0 ]; then
    status=1
    grep -E "ERROR|invariant failed|runtime error|SUMMARY|Test unit written" "$log" | head -8 | sed 's/^/   /'
  fi
done
exit $status
