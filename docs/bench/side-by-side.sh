#!/usr/bin/env bash
# lfm2vl against llama.cpp on the same GGUF files, interleaved (issue 16; docs/PERFORMANCE.md, "Side by side with
# llama.cpp"). Each round runs, per file: lfm2vl pp512+tg64 then llama.cpp pp512+tg64, lfm2vl pp16 then llama.cpp
# pp16, lfm2vl pp64 then llama.cpp pp64. One line per measurement on stdout: round, engine, file, test, tok/s.
# Summarize with: python3 docs/bench/side-by-side-table.py OUT.txt
#
# Usage: docs/bench/side-by-side.sh ROUNDS THREADS FILE.gguf...     (from the repository root)
#   e.g. ./lfm2vl synth --preset lfm2-vl-3b --type Q4_0 --no-mmproj --out /tmp/s3b   (and --type Q8_0)
#        docs/bench/side-by-side.sh 5 2 /tmp/s3b/text-Q4_0.gguf /tmp/s3b/text-Q8_0.gguf | tee /tmp/side.txt
# LFM2VL_JAR runs another build's jar (an A/B of two commits), else ./lfm2vl (built when stale).
set -euo pipefail
rounds=${1:?rounds}; threads=${2:?threads}; shift 2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
llama="$root/../shared/tools/llama-cpp-bench/run"
[ -x "$llama" ] || { echo "error: $llama not found (the team's shared tools)" >&2; exit 2; }

ours() { # FILE PP TG REPS -> "pp<PP> <tok/s>" and "tg<TG> <tok/s>" lines
  local out
  if [ -n "${LFM2VL_JAR:-}" ]; then
    . "$root/bin/find-jdk" && lfm2vl_find_jdk
    out=$("$LFM2VL_JAVA_HOME/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
      -XX:+UseParallelGC -jar "$LFM2VL_JAR" bench -m "$1" -p "$2" -n "$3" -r "$4" -t "$threads" --save-to none 2>&1)
  else
    out=$("$root/lfm2vl" bench -m "$1" -p "$2" -n "$3" -r "$4" -t "$threads" --save-to none 2>&1)
  fi
  echo "$out" | awk '/^(pp|tg)[0-9]+ /{print $1, $2}'
}

theirs() { # FILE PP TG -> the same lines from llama.cpp's JSON
  "$llama" "$1" "$2" "$3" "$threads" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
if r["pp"]: print("pp%d %s" % (r["pp"], r["pp_tok_s"]))
if r["tg"]: print("tg%d %s" % (r["tg"], r["tg_tok_s"]))'
}

for r in $(seq 1 "$rounds"); do
  for f in "$@"; do
    name=$(basename "$f" .gguf)
    for spec in "512 64 1" "16 0 3" "64 0 2"; do
      read -r pp tg reps <<<"$spec"
      ours "$f" "$pp" "$tg" "$reps" | sed "s|^|$r lfm2vl $name |"
      theirs "$f" "$pp" "$tg" | sed "s|^|$r llama.cpp $name |"
    done
  done
done
