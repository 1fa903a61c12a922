// llama.cpp's own decode kernels timed per 32-weight block on one thread, for docs/PERFORMANCE.md ("Why decode
// cannot reach llama.cpp on JDK 25"). It loads the prebuilt CPU library that node-llama-cpp ships (the one
// ../shared/tools/llama-cpp-bench runs) and calls its exported kernels on random blocks of ROWS x COLS weights:
// ggml_vec_dot_q4_0_q8_0 and ggml_vec_dot_q8_0_q8_0 once per row, ggml_gemv_q4_0_8x8_q8_0 once for all rows (the
// 8-row repacked layout its Q4_0 decode uses). Also measures the core clock: a chain of dependent 1-cycle adds.
//
//   gcc -O2 -o /tmp/llama-cpp-kernels jmh/llama-cpp-kernels.c -ldl
//   L=/tmp/llama-cpp-bench/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64
//   LD_LIBRARY_PATH=$L /tmp/llama-cpp-kernels 1024 2048 30                             # the Zen 4 (VNNI) build
//   GGML_LIB=libggml-cpu-haswell.so LD_LIBRARY_PATH=$L /tmp/llama-cpp-kernels 1024 2048 30   # its AVX2 build
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef void (*vec_dot_fn)(int n, float *s, size_t bs, const void *x, size_t bx, const void *y, size_t by, int nrc);
typedef void (*gemv_fn)(int n, float *s, size_t bs, const void *x, const void *y, int nr, int nc);

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

// GHz: 400k dependent adds (one cycle each), best of 3000 runs because the VM preempts us.
static double clock_ghz(void) {
    double best = 0;
    for (int k = 0; k < 3000; k++) {
        long n = 400000, x = 0;
        double t0 = now();
        __asm__ volatile("1: add $1,%0\n add $1,%0\n add $1,%0\n add $1,%0\n sub $4,%1\n jnz 1b" : "+r"(x), "+r"(n));
        double g = 400000 / (now() - t0) / 1e9;
        if (g > best) best = g;
    }
    return best;
}

// Random quants; every f16 scale (d at the block start, or the 8 scales of a repacked group) set to 1.0.
static uint8_t *blocks(size_t count, size_t size, int scales) {
    uint8_t *p = aligned_alloc(64, (count * size + 63) / 64 * 64);
    for (size_t i = 0; i < count * size; i++) p[i] = (uint8_t) rand();
    for (size_t b = 0; b < count; b++)
        for (int k = 0; k < scales; k++) { p[b * size + 2 * k] = 0; p[b * size + 2 * k + 1] = 0x3c; }
    return p;
}

int main(int argc, char **argv) {
    if (argc != 4) { fprintf(stderr, "usage: %s ROWS COLS REPS (ROWS a multiple of 8)\n", argv[0]); return 2; }
    int rows = atoi(argv[1]), cols = atoi(argv[2]), reps = atoi(argv[3]), nb = cols / 32;
    const char *lib = getenv("GGML_LIB") ? getenv("GGML_LIB") : "libggml-cpu-zen4.so";
    void *h = dlopen(lib, RTLD_NOW);
    if (!h) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    ((void (*)(void)) dlsym(h, "ggml_cpu_init"))();  // fills the f16 -> f32 table the kernels read
    vec_dot_fn q4 = (vec_dot_fn) dlsym(h, "ggml_vec_dot_q4_0_q8_0");
    vec_dot_fn q8 = (vec_dot_fn) dlsym(h, "ggml_vec_dot_q8_0_q8_0");
    gemv_fn g4 = (gemv_fn) dlsym(h, "ggml_gemv_q4_0_8x8_q8_0");
    srand(1);
    uint8_t *w4 = blocks((size_t) rows * nb, 18, 1), *w8 = blocks((size_t) rows * nb, 34, 1);
    uint8_t *w4x8 = blocks((size_t) rows / 8 * nb, 144, 8), *x = blocks(nb, 34, 1);  // x: the Q8_0 activations
    float *y = malloc(sizeof(float) * rows);
    double n = (double) rows * nb;
    printf("%s, %d x %d, best of %d per kernel; ns and cycles per 32-weight block\n", lib, rows, cols, reps);
    for (int round = 0; round < 5; round++) {
        double ghz = clock_ghz(), best[3] = {1e9, 1e9, 1e9}, t;
        for (int r = 0; r < reps; r++) {
            t = now();
            for (int i = 0; i < rows; i++) q4(cols, y + i, 0, w4 + (size_t) i * nb * 18, 0, x, 0, 1);
            if ((t = now() - t) < best[0]) best[0] = t;
            t = now();
            for (int i = 0; i < rows; i++) q8(cols, y + i, 0, w8 + (size_t) i * nb * 34, 0, x, 0, 1);
            if ((t = now() - t) < best[1]) best[1] = t;
            t = now();
            g4(cols, y, rows, w4x8, x, 1, rows);
            if ((t = now() - t) < best[2]) best[2] = t;
        }
        printf("round %d clock %.3f GHz | vec_dot_q4_0_q8_0 %.3f ns %.2f cycles | vec_dot_q8_0_q8_0 %.3f ns %.2f cycles"
               " | gemv_q4_0_8x8_q8_0 %.3f ns %.2f cycles\n", round, ghz,
               best[0] / n * 1e9, best[0] / n * 1e9 * ghz, best[1] / n * 1e9, best[1] / n * 1e9 * ghz,
               best[2] / n * 1e9, best[2] / n * 1e9 * ghz);
        fflush(stdout);
    }
    return 0;
}
