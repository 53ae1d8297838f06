// The real one-block Jacobi kernel (native/cuda/eigen.cu, jacobi_kernel, 512 threads as sculpt_sym_eigen launches it) on
// the CPU through the thread emulation (native/test/cuda_emulation.h), at the sketch widths of GpuBenchmark's
// randomized SVD (l = 74, 138; 256 = JACOBI_MAX) and on Gram matrices with its spectrum (lambda_i = sigma_i^2,
// sigma_i = 0.995^i): the relative error of sqrt(lambda) must stay at float32 rounding. Evidence for bench/RESULTS.md
// (GPU section, Decompositions); not part of the test suite. From the repository root:
//   g++ -std=c++20 -O1 -pthread -DSCULPT_EMULATION -I native/include -I native/cuda -I native/test \
//       bench/svd/jacobi_graded_check.cpp -o /tmp/jacobi_graded_check && /tmp/jacobi_graded_check
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <vector>

#include "../cuda/eigen.cu"

using sculpt_emu::launch;

static int failures = 0;
#define CHECK(cond, ...)                                        \
    do {                                                        \
        if (!(cond)) {                                          \
            std::printf("FAIL %s:%d: ", __FILE__, __LINE__);    \
            std::printf(__VA_ARGS__);                           \
            std::printf("\n");                                  \
            failures++;                                         \
        }                                                       \
    } while (0)

static std::mt19937_64 rng(12345);
static double gauss() { return std::normal_distribution<double>(0.0, 1.0)(rng); }

static void test_jacobi_graded(int n, int keep, double ratio) {
    // A = Q diag(lambda) Q^T, Q orthonormal (Gram-Schmidt twice), lambda_i = ratio^(2i): a Gram matrix B B^T of the benchmark's shape
    std::vector<double> q(n * n), a(n * n), lam(n);
    for (auto& x : q) x = gauss();
    for (int pass = 0; pass < 2; pass++)
        for (int j = 0; j < n; j++) {
            for (int i = 0; i < j; i++) { double d = 0; for (int t = 0; t < n; t++) d += q[t * n + i] * q[t * n + j]; for (int t = 0; t < n; t++) q[t * n + j] -= d * q[t * n + i]; }
            double nr = 0; for (int t = 0; t < n; t++) nr += q[t * n + j] * q[t * n + j]; nr = std::sqrt(nr); for (int t = 0; t < n; t++) q[t * n + j] /= nr;
        }
    for (int i = 0; i < n; i++) lam[i] = std::pow(ratio, 2.0 * i);
    for (int i = 0; i < n; i++) for (int j = 0; j < n; j++) { double s = 0; for (int t = 0; t < n; t++) s += q[i * n + t] * lam[t] * q[j * n + t]; a[i * n + j] = s; }
    for (int i = 0; i < n; i++) for (int j = 0; j < i; j++) { double m = 0.5 * (a[i * n + j] + a[j * n + i]); a[i * n + j] = a[j * n + i] = m; }
    std::vector<double> work(n * n);
    std::vector<float> vals(keep), roots(keep), vecs(n * keep);
    int L = n + (n & 1);
    launch(dim3(1), dim3(512), sizeof(double) * L, jacobi_kernel, a.data(), n, keep, 40, work.data(), vals.data(), roots.data(), vecs.data());
    double worst = 0;
    for (int r = 0; r < keep; r++) worst = std::max(worst, std::fabs(roots[r] - std::sqrt(lam[r])) / std::sqrt(lam[r]));
    CHECK(worst < 1e-5, "graded n %d: worst relative root error %g", n, worst);
    std::printf("graded jacobi n %d keep %d ratio %g: worst relative error of sqrt(lambda) %.2e\n", n, keep, ratio, worst);
}
int main() {
    test_jacobi_graded(74, 64, 0.995);     // GpuBenchmark 1024 x 1024, k = 64 would be l = 74
    test_jacobi_graded(138, 128, 0.995);   // k = 128: l = 138, the row with 6.5e-2
    test_jacobi_graded(256, 246, 0.995);   // the widest sketch the Jacobi kernel takes
    test_jacobi_graded(256, 256, 0.98);
    std::printf(failures ? "graded Jacobi checks FAILED\n" : "graded Jacobi checks passed\n");
    return failures;
}
