#!/usr/bin/env bash
# Compare gemm.Gemm with C BLAS libraries on gemm's benchmark shapes:
# oneDNN (dnnl_sgemm), OpenBLAS and BLIS (cblas_sgemm), the Debian 12
# builds. Not run by CI. See bench/README.md.
#
#   bench/compare_blas.sh [M,N,K ...]     # default: the issue's shapes
#
# Environment:
#   WORK=/tmp/blasbench   scratch folder (binaries, raw results)
#   THREADS="1 2"         thread counts
#   ROUNDS=3              gocnn/peer alternations; the table shows medians
#   BENCHTIME=0.5         seconds per measurement
#   PEERS="dnnl openblas blis"
#   PEER_ONLY=1           run only the libraries and print their raw lines
#                         (bench/plots/regen.sh adds them to the GEMM chart)
#
# Every line is `go test -bench` format, so benchstat reads $WORK/*.txt too.
# The libraries are forced to their AVX-512 (Skylake-X) kernels where their
# start-up detection does not know this CPU: OPENBLAS_CORETYPE=SkylakeX
# (0.3.21 takes Zen 5 for Zen, AVX2 kernels), BLIS_ARCH_TYPE=skx (0.9.0 falls
# back to its generic C kernels). %peak divides by the FMA probe that
# BenchmarkSgemm runs before each shape in the same round.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${WORK:-/tmp/blasbench}
THREADS=${THREADS:-"1 2"}
ROUNDS=${ROUNDS:-3}
BENCHTIME=${BENCHTIME:-0.5}
PEERS=${PEERS:-"dnnl openblas blis"}
if [ $# -gt 0 ]; then
	SHAPES="$*"
else
	SHAPES="1024,1024,1024 2048,2048,2048 64,3136,576 128,784,1152 256,196,2304 512,49,4608 1000,1,512 32,12544,27 64,3136,64"
fi

inc=/usr/include/x86_64-linux-gnu
lib=/usr/lib/x86_64-linux-gnu
if [ ! -f /usr/include/dnnl.h ] || [ ! -f $inc/openblas-pthread/cblas.h ] || [ ! -f $inc/blis-openmp/blis.h ]; then
	echo "installing libdnnl-dev libopenblas-dev libblis-dev" >&2
	sudo=""
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo apt-get install -y libdnnl-dev libopenblas-dev libblis-dev >/dev/null
fi

mkdir -p "$WORK"
rm -f "$WORK"/*.txt
src="$ROOT/bench/peer/sgemm.c"
gcc -O2 -DPEER_DNNL -o "$WORK/dnnl" "$src" -ldnnl
gcc -O2 -I$inc/openblas-pthread -o "$WORK/openblas" "$src" \
	-L$lib/openblas-pthread -lopenblas -Wl,-rpath,$lib/openblas-pthread
gcc -O2 -I$inc/blis-openmp -o "$WORK/blis" "$src" \
	-L$lib/blis-openmp -lblis -Wl,-rpath,$lib/blis-openmp
[ -n "${PEER_ONLY:-}" ] || (cd "$ROOT/gemm" && go test -c -o "$WORK/gemm.test" .)

shapes_re=$(echo "$SHAPES" | tr ' ' '\n' | sed -E 's/([0-9]+),([0-9]+),([0-9]+)/M=\1,N=\2,K=\3/' | paste -sd'|')
for r in $(seq "$ROUNDS"); do
	for t in $THREADS; do
		echo "round $r, $t thread(s)" >&2
		[ -n "${PEER_ONLY:-}" ] || (cd "$WORK" && ./gemm.test -test.run '^$' -test.benchtime "${BENCHTIME}s" \
			-test.bench "^BenchmarkSgemm\$/^isa=avx512\$/^threads=$t\$/^($shapes_re)\$" |
			grep '^BenchmarkSgemm' >>"$WORK/gocnn.txt")
		for p in $PEERS; do
			OMP_NUM_THREADS=$t OPENBLAS_NUM_THREADS=$t BLIS_NUM_THREADS=$t \
				OPENBLAS_CORETYPE=SkylakeX BLIS_ARCH_TYPE=skx \
				"$WORK/$p" "$p" "$t" "$BENCHTIME" $SHAPES >>"$WORK/$p.txt"
		done
	done
done

if [ -n "${PEER_ONLY:-}" ]; then
	for p in $PEERS; do cat "$WORK/$p.txt"; done
	exit 0
fi

# Table: per shape and thread count, median GFLOP/s over the rounds; %peak
# from the median FMA peak of gocnn's lines (GFLOP/s ÷ %peak).
cat "$WORK"/*.txt | awk -v peers="$PEERS" '
function median(s,   a, n, i, j, x) {
	n = split(s, a, " ")
	for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j+1] = a[j]; a[j+1] = x }
	return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
}
{
	sub(/-[0-9]+$/, "", $1) # go test'"'"'s -GOMAXPROCS suffix
	split($1, f, "/"); isa = substr(f[2], 5); key = f[3] "/" f[4]
	gf = pk = ""
	for (i = 3; i < NF; i++) {
		if ($(i+1) == "GFLOP/s") gf = $i
		if ($(i+1) == "%peak") pk = $i
	}
	if (isa == "avx512") isa = "gocnn"
	g[isa, key] = g[isa, key] " " gf
	if (pk != "") peak[key] = peak[key] " " (gf / pk * 100)
	if (!(key in seen)) { seen[key] = 1; order[++nk] = key }
}
END {
	np = split(peers, P, " ")
	printf "%-34s %14s", "threads/shape", "gocnn GF (%pk)"
	for (i = 1; i <= np; i++) printf " %16s", P[i] " GF (%pk)"
	printf " %10s\n", "gocnn/best"
	for (k = 1; k <= nk; k++) {
		key = order[k]; pkm = median(peak[key]); best = 0
		gm = median(g["gocnn", key])
		printf "%-34s %8.1f (%3.0f)", key, gm, 100 * gm / pkm
		for (i = 1; i <= np; i++) {
			v = median(g[P[i], key]); if (v > best) best = v
			printf " %10.1f (%3.0f)", v, 100 * v / pkm
		}
		printf " %10.2f\n", gm / best
	}
}'
