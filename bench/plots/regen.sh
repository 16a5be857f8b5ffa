#!/usr/bin/env bash
# Regenerate docs/charts: measure (GEMM benchmark, onnxruntime comparison),
# save the raw outputs with a header, draw the PNGs. See README.md.
#
#   bench/plots/regen.sh            # both measurements, then the charts
#   bench/plots/regen.sh gemm       # only the GEMM benchmark, then the charts
#   bench/plots/regen.sh ort        # only compare_ort.sh, then the charts
#   bench/plots/regen.sh charts     # only redraw from the saved .txt files
#
# Environment: BENCHTIME (default 1s: at 200ms, 2048³ ran two or three
# calls and measured 50–55 % of the peak, at 1s 83–88 %) and COUNT
# (default 3) for the GEMM benchmark (the chart shows the median of the COUNT runs); ROUNDS
# (default 1) and the other compare_ort.sh variables for the comparison;
# STAT (median or min, default median) for models.png; NOTE, an extra
# footnote line for both charts; PEERS (e.g. "dnnl openblas blis", default
# none) adds those C libraries' SGEMM to the GEMM chart, measured by
# bench/compare_blas.sh (which installs them) alternately with gocnn's runs.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT="$ROOT/docs/charts"
BENCHTIME=${BENCHTIME:-1s}
COUNT=${COUNT:-3}
export ROUNDS=${ROUNDS:-1}
STAT=${STAT:-median}
NOTE=${NOTE:-}
what=${1:-all}
mkdir -p "$OUT"

header() { # header COMMAND...
	echo "# $(date -u '+%Y-%m-%d %H:%M UTC'); $(lscpu | sed -n 's/^Model name: *//p' | head -1), $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# gocnn $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?') + working tree, $(go version | cut -d' ' -f3-)"
	echo "# command (from the repository root): $*"
}

cd "$ROOT"
if [ "$what" = all ] || [ "$what" = gemm ]; then
	sizes='M=(64,N=64|128,N=128|256,N=256|512,N=512|1024,N=1024|2048,N=2048),'
	gemm="go test -run '^\$' -bench 'BenchmarkSgemm/isa=(avx2|avx512|neon|generic|gonum)/threads=1/$sizes' -benchtime=$BENCHTIME -count=$COUNT ./gemm/"
	peak="go test -run '^\$' -bench BenchmarkPeak -benchtime=$BENCHTIME -count=$COUNT ./conv/"
	PEERS=${PEERS:-}
	squares="64,64,64 128,128,128 256,256,256 512,512,512 1024,1024,1024 2048,2048,2048"
	peers="PEER_ONLY=1 THREADS=1 ROUNDS=1 BENCHTIME=${BENCHTIME%s} PEERS='$PEERS' bench/compare_blas.sh $squares"
	{
		if [ -z "$PEERS" ]; then
			header "$gemm; $peak"
			eval "$gemm"
		else
			# Alternate: gocnn's benchmark once, then the libraries, COUNT times.
			header "$COUNT× { ${gemm/-count=$COUNT/-count=1}; $peers }; $peak"
			for _ in $(seq "$COUNT"); do
				eval "${gemm/-count=$COUNT/-count=1}"
				eval "$peers"
			done
		fi
		eval "$peak"
	} >"$OUT/gemm.txt.tmp"
	mv "$OUT/gemm.txt.tmp" "$OUT/gemm.txt"
fi
if [ "$what" = all ] || [ "$what" = ort ]; then
	{
		header "ROUNDS=$ROUNDS bench/compare_ort.sh"
		bench/compare_ort.sh
	} >"$OUT/ort.txt.tmp"
	mv "$OUT/ort.txt.tmp" "$OUT/ort.txt"
fi
cd "$ROOT/bench/plots"
go run . -gemm "$OUT/gemm.txt" -ort "$OUT/ort.txt" -out "$OUT" -stat "$STAT" -note "$NOTE"
