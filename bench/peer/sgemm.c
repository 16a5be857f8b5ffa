// sgemm.c times one C library's SGEMM on gemm's benchmark shapes, printing
// lines in `go test -bench` format so bench/compare_blas.sh can set them
// beside BenchmarkSgemm measured in the same run. Not part of the library
// or CI. Build with -DPEER_DNNL (dnnl_sgemm) or without (cblas_sgemm).
//
//   sgemm NAME THREADS SECONDS M,N,K...
//
// C = A·B, all row-major, alpha 1, beta 0: what BenchmarkSgemm times.
// The library's own thread variable (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS,
// BLIS_NUM_THREADS) must be set to THREADS by the caller.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#ifdef PEER_DNNL
#include <dnnl.h>
#else
#include <cblas.h>
#endif

static double now(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void sgemm(int m, int n, int k, const float *a, const float *b, float *c) {
#ifdef PEER_DNNL
	if (dnnl_sgemm('N', 'N', m, n, k, 1.0f, a, k, b, n, 0.0f, c, n) != dnnl_success) {
		fprintf(stderr, "dnnl_sgemm failed\n");
		exit(1);
	}
#else
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n);
#endif
}

static float *rnd(size_t n) {
	float *p = malloc(n * sizeof *p);
	if (!p) {
		perror("malloc");
		exit(1);
	}
	for (size_t i = 0; i < n; i++)
		p[i] = 2.0f * rand() / RAND_MAX - 1.0f;
	return p;
}

int main(int argc, char **argv) {
	if (argc < 5) {
		fprintf(stderr, "usage: %s NAME THREADS SECONDS M,N,K...\n", argv[0]);
		return 2;
	}
	const char *name = argv[1];
	int threads = atoi(argv[2]);
	double secs = atof(argv[3]);
	for (int i = 4; i < argc; i++) {
		int m, n, k;
		if (sscanf(argv[i], "%d,%d,%d", &m, &n, &k) != 3) {
			fprintf(stderr, "bad shape %s\n", argv[i]);
			return 2;
		}
		float *a = rnd((size_t)m * k), *b = rnd((size_t)k * n), *c = rnd((size_t)m * n);
		// Like b.Loop: grow the run count until a batch takes secs.
		long iters = 1;
		double t;
		sgemm(m, n, k, a, b, c);
		for (;;) {
			double t0 = now();
			for (long r = 0; r < iters; r++)
				sgemm(m, n, k, a, b, c);
			t = now() - t0;
			if (t >= secs || iters >= 1L << 30)
				break;
			long next = t > 0 ? (long)(iters * 1.2 * secs / t) : iters * 100;
			iters = next > iters ? next : iters + 1;
		}
		double ns = 1e9 * t / iters, gf = 2.0 * m * n * k / ns;
		printf("BenchmarkSgemm/isa=%s/threads=%d/M=%d,N=%d,K=%d \t%ld\t%.0f ns/op\t%.4g GFLOP/s\n",
		       name, threads, m, n, k, iters, ns, gf);
		fflush(stdout);
		free(a);
		free(b);
		free(c);
	}
	return 0;
}
