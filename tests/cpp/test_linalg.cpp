// C++ unit tests of the linalg core: GEMM against a naive FMA loop (bit for bit,
// every available ISA), orthogonality of generated Q, column chunks equal the
// full matrix, geqrf + orgqr reproduce A.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "check.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/linalg/gemm.hpp"
#include "weightinit/linalg/householder.hpp"
#include "weightinit/random/dispatch.hpp"

using namespace weightinit;
using namespace weightinit::linalg;

template <class T>
void test_gemm_exact(Isa isa) {
  set_active_isa(isa);
  const std::int64_t m = 37, n = 23, k = 300;
  std::vector<T> a(m * k), b(k * n), c(m * n), ref(m * n);
  unsigned s = 1;
  auto rnd = [&] {
    s = s * 1103515245u + 12345u;
    return T((s >> 8) % 2001) / T(1000) - T(1);
  };
  for (auto& x : a) x = rnd();
  for (auto& x : b) x = rnd();
  for (std::int64_t i = 0; i < m * n; ++i) c[i] = ref[i] = rnd();
  // Row-major A, column-major B, row-major C: exercises the transposed path.
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < k; ++p)
        ref[i * n + j] = std::fma(-a[i * k + p], b[p + j * k], ref[i * n + j]);
  gemm_update(m, n, k, MatRef<const T>{a.data(), k, 1}, MatRef<const T>{b.data(), 1, k},
              MatRef<T>{c.data(), n, 1}, true);
  for (std::int64_t i = 0; i < m * n; ++i) CHECK(c[i] == ref[i]);
}

template <class T>
void test_orthogonal(double tol) {
  const std::int64_t m = 300, n = 170;
  std::vector<T> q(m * n), part(m * 40);
  orthogonal_columns<T>(7, 3, m, n, 0, n, 1.0, MatRef<T>{q.data(), 1, m});
  double err = 0;
  for (std::int64_t i = 0; i < n; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double d = 0;
      for (std::int64_t r = 0; r < m; ++r) d += double(q[r + i * m]) * double(q[r + j * m]);
      err = std::fmax(err, std::fabs(d - (i == j)));
    }
  CHECK(err < tol);
  orthogonal_columns<T>(7, 3, m, n, 100, 140, 1.0, MatRef<T>{part.data(), 1, m});
  for (std::int64_t j = 0; j < 40; ++j)
    for (std::int64_t r = 0; r < m; ++r) CHECK(part[r + j * m] == q[r + (100 + j) * m]);
}

void test_qr() {
  const std::int64_t m = 200, n = 150;
  std::vector<double> a(m * n), f(m * n), tau(n), q(m * n);
  unsigned s = 5;
  for (auto& x : a) {
    s = s * 1103515245u + 12345u;
    x = double((s >> 8) % 2001) / 1000 - 1;
  }
  f = a;
  geqrf<double>(m, n, MatRef<double>{f.data(), 1, m}, tau.data());
  orgqr_columns<double>(
      m, n, 0, n, MatRef<double>{q.data(), 1, m},
      stored_reflectors<double>(m, MatRef<const double>{f.data(), 1, m}, tau.data()));
  double err = 0;
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j) {
      double v = 0;
      for (std::int64_t p = 0; p <= j; ++p) v += q[i + p * m] * f[p + j * m];
      err = std::fmax(err, std::fabs(v - a[i + j * m]));
    }
  CHECK(err < 1e-12);
}

int main() {
  const Isa best = active_isa();
  for (Isa isa : available_isas()) {
    test_gemm_exact<double>(isa);
    test_gemm_exact<float>(isa);
  }
  set_active_isa(best);
  for (int t : {1, 2}) {
    set_num_threads(t);
    test_orthogonal<double>(1e-13);
    test_orthogonal<float>(1e-5);
    test_qr();
  }
  std::printf("%s\n", failures ? "FAILED" : "OK");
  return failures ? EXIT_FAILURE : EXIT_SUCCESS;
}
