#!/usr/bin/env bash
# Compare gocnn with onnxruntime (onnxruntime-node, CPU) on the zoo models.
# Not run by CI. See bench/README.md.
#
#   bench/compare_ort.sh [MODEL ...]          # default: all nine zoo models
#
# Environment:
#   WORK=/tmp/ortbench    scratch folder (npm install, binaries, ONNX files)
#   ORT_VERSION=1.30.0    onnxruntime-node version
#   THREADS="1 2"         thread counts
#   RUNS=20               timed runs per measurement (after 3 warm-up runs)
#   ROUNDS=2              ort/gocnn alternations per model and thread count;
#                         the table shows the lowest median of the rounds
#                         and the fastest single run
#   LOADS=3               session creations / gocnn.Load timed per model
#   NODES=1               instead of the latency table, compare the two layer
#                         by layer (bench/ort_nodes.js; TOP=25 rows each end)
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/ortbench}
ORT_VERSION=${ORT_VERSION:-1.30.0}
THREADS=${THREADS:-"1 2"}
RUNS=${RUNS:-20}
ROUNDS=${ROUNDS:-2}
LOADS=${LOADS:-3}
if [ $# -gt 0 ]; then
	MODELS="$*"
else
	MODELS="squeezenet1_1 shufflenet_v2_x1_0 mobilenet_v2 efficientnet_b0 resnet18 alexnet googlenet resnet50 vgg16"
fi

mkdir -p "$WORK/models" "$WORK/out"
cd "$WORK"
if [ ! -d node_modules/onnxruntime-node ] ||
	[ "$(node -p "require('./node_modules/onnxruntime-node/package.json').version")" != "$ORT_VERSION" ]; then
	[ -f package.json ] || npm init -y >/dev/null
	# The package bundles the CPU libraries; its install script only fetches
	# optional CUDA binaries from NuGet, which we skip.
	ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund "onnxruntime-node@$ORT_VERSION" >/dev/null
fi
export NODE_PATH="$WORK/node_modules"

cd "$ROOT"
go build -o "$WORK/gocnn" ./cmd/gocnn
go build -o "$WORK/loadtime" ./bench/cmd/loadtime
go run ./bench/cmd/zoodump -write "$WORK/models" $MODELS >/dev/null

json() { # json FILE FIELD
	node -e "const r=JSON.parse(require('fs').readFileSync(process.argv[1],'utf8')); console.log(r[process.argv[2]])" "$1" "$2"
}
best() { # best FIELD FILES... : the lowest value of FIELD
	field=$1
	shift
	for f in "$@"; do json "$f" "$field"; done | sort -g | head -1
}

if [ -n "${NODES:-}" ]; then
	for m in $MODELS; do
		f="$WORK/models/$m.onnx"
		"$WORK/gocnn" inspect -json "$f" >"$WORK/out/$m.inspect.json"
		for t in $THREADS; do
			echo "== $m, $t thread(s)"
			"$WORK/gocnn" bench "$f" -threads "$t" -n "$RUNS" -profile -json >"$WORK/out/$m.t$t.profile.json"
			node "$ROOT/bench/ort_bench.js" "$f" -threads "$t" -n "$RUNS" -loads 1 -nodes "$WORK/out/$m.t$t.ortnodes.json" >/dev/null
			node "$ROOT/bench/ort_nodes.js" "$WORK/out/$m.inspect.json" "$WORK/out/$m.t$t.profile.json" \
				"$WORK/out/$m.t$t.ortnodes.json" "${TOP:-25}"
		done
	done
	exit 0
fi

CPU=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $CPU, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# onnxruntime-node $ORT_VERSION; gocnn $(git -C "$ROOT" rev-parse --short HEAD) + working tree; $RUNS runs, best of $ROUNDS rounds"
echo "# ms: median of the runs (lowest of the rounds); min: fastest run; ratio: gocnn/ort of the medians"
echo "# rel diff: gocnn run vs onnxruntime on models/input.npy, max|diff| / max|ort output|"
printf '| %-18s | %7s | %8s | %8s | %9s | %9s | %9s | %11s | %13s | %8s |\n' model threads "ort ms" "gocnn ms" "gocnn/ort" "ort min" "gocnn min" "ort load ms" "gocnn load ms" "rel diff"
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' "--------------------" ":-------:" "---------:" "---------:" "----------:" "----------:" "----------:" "------------:" "--------------:" "---------:"
for m in $MODELS; do
	f="$WORK/models/$m.onnx"
	rm -rf "$WORK/out/$m.gocnn_out"
	diff=failed
	if "$WORK/gocnn" run "$f" -in "$WORK/models/input.npy" -out "$WORK/out/$m.gocnn_out" >/dev/null &&
		node "$ROOT/bench/ort_bench.js" "$f" -in "$WORK/models/input.npy" -compare "$WORK/out/$m.gocnn_out/output.npy" \
			-n 1 -warmup 0 -loads 1 >"$WORK/out/$m.check.json"; then
		diff=$(node -p "Number($(json "$WORK/out/$m.check.json" rel_diff)).toExponential(1)")
	fi
	for t in $THREADS; do
		ort=() gc=() err=""
		for r in $(seq "$ROUNDS"); do
			o="$WORK/out/$m.t$t.r$r.ort.json"
			g="$WORK/out/$m.t$t.r$r.gocnn.json"
			node "$ROOT/bench/ort_bench.js" "$f" -threads "$t" -n "$RUNS" -loads "$LOADS" >"$o" 2>"$o.err" ||
				err="onnxruntime: $(head -1 "$o.err")"
			"$WORK/gocnn" bench "$f" -threads "$t" -n "$RUNS" -json >"$g" 2>"$g.err" ||
				err="${err:+$err; }gocnn: $(head -1 "$g.err")"
			ort+=("$o") gc+=("$g")
		done
		"$WORK/loadtime" -n "$LOADS" -threads "$t" "$f" >"$WORK/out/$m.t$t.load.json" 2>"$WORK/out/$m.t$t.load.err" ||
			err="${err:+$err; }gocnn.Load: $(head -1 "$WORK/out/$m.t$t.load.err")"
		if [ -n "$err" ]; then
			printf '| %-18s | %7s | failed: %s |\n' "$m" "$t" "$err"
			continue
		fi
		om=$(best median_ms "${ort[@]}")
		gm=$(best median_ms "${gc[@]}")
		printf '| %-18s | %7s | %8.1f | %8.1f | %9.2f | %9.1f | %9.1f | %11.0f | %13.0f | %8s |\n' "$m" "$t" "$om" "$gm" \
			"$(node -p "$gm/$om")" "$(best min_ms "${ort[@]}")" "$(best min_ms "${gc[@]}")" \
			"$(json "${ort[0]}" load_ms)" "$(json "$WORK/out/$m.t$t.load.json" load_ms)" "$diff"
	done
done
