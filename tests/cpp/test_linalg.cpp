// C++ unit tests of the linalg core: GEMM and packed-operand updates against a
// naive FMA loop (bit for bit, every available ISA), orthogonality of generated Q, column chunks
// equal the full matrix, geqrf + orgqr reproduce A.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "check.hpp"
#include "weightinit/common/isa.hpp"
#include "weightinit/common/parallel.hpp"
#include "weightinit/linalg/gemm.hpp"
#include "weightinit/linalg/geqrf.hpp"
#include "weightinit/linalg/orgqr.hpp"
#include "weightinit/random/orthogonal.hpp"

using namespace weightinit;
using namespace weightinit::linalg;
using weightinit::random::orthogonal_columns;

// Values on a 1/1000 grid in [-1, 1] from a small LCG with state s.
template <class T>
void fill_grid(std::vector<T>& v, unsigned& s) {
  for (auto& x : v) {
    s = s * 1103515245u + 12345u;
    x = T((s >> 8) % 2001) / T(1000) - T(1);
  }
}

// Every layout of A, B and C (row- or column-major each; a row-major C
// runs as the transposed product), both signs: bit for bit the naive chain.
// m and n are not multiples of the register blocks, k crosses KC.
template <class T>
void test_gemm_exact(Isa isa) {
  set_active_isa(isa);
  const std::int64_t m = 37, n = 29, k = 300;
  std::vector<T> a(m * k), b(k * n), c0(m * n);
  unsigned s = 1;
  fill_grid(a, s);
  fill_grid(b, s);
  fill_grid(c0, s);
  for (int layout = 0; layout < 16; ++layout) {
    const bool a_rows = layout & 1, b_rows = layout & 2, c_rows = layout & 4, subtract = layout & 8;
    const MatRef<const T> ar =
        a_rows ? MatRef<const T>{a.data(), k, 1} : MatRef<const T>{a.data(), 1, m};
    const MatRef<const T> br =
        b_rows ? MatRef<const T>{b.data(), n, 1} : MatRef<const T>{b.data(), 1, k};
    std::vector<T> c = c0, ref = c0;
    const MatRef<T> cr = c_rows ? MatRef<T>{c.data(), n, 1} : MatRef<T>{c.data(), 1, m};
    const MatRef<T> rr = c_rows ? MatRef<T>{ref.data(), n, 1} : MatRef<T>{ref.data(), 1, m};
    for (std::int64_t i = 0; i < m; ++i)
      for (std::int64_t j = 0; j < n; ++j)
        for (std::int64_t p = 0; p < k; ++p)
          rr(i, j) = std::fma(subtract ? -ar(i, p) : ar(i, p), br(p, j), rr(i, j));
    gemm_update(m, n, k, ar, br, cr, subtract);
    for (std::int64_t i = 0; i < m * n; ++i) CHECK(c[i] == ref[i]);
  }
}

// An operand packed once (tiles in any order), then used with a prefix of
// its k: the same bits as the naive FMA chain with that operand negated.
// Sizes cross the KC, MC and group boundaries of every path.
template <class T>
void test_packed_exact(Isa isa, Side side) {
  set_active_isa(isa);
  const std::int64_t mn = 530, other = 37, k = 300, kused = 260;
  std::vector<T> x(mn * k), y(other * k), c(mn * other);
  unsigned s = 3;
  fill_grid(x, s);
  fill_grid(y, s);
  fill_grid(c, s);
  std::vector<T> ref = c;
  const bool left = side == Side::left;
  // left: C (mn x other, column-major) += (-X) Y, X = A (mn x k, column-major),
  // Y = B (k x other, row-major). right: C (other x mn, row-major) += Y (-X),
  // X = B (k x mn, row-major), Y = A (other x k, column-major).
  const std::int64_t m = left ? mn : other, n = left ? other : mn;
  const MatRef<const T> xr =
      left ? MatRef<const T>{x.data(), 1, mn} : MatRef<const T>{x.data(), mn, 1};
  const MatRef<const T> yr =
      left ? MatRef<const T>{y.data(), other, 1} : MatRef<const T>{y.data(), 1, other};
  const MatRef<T> cr = left ? MatRef<T>{c.data(), 1, mn} : MatRef<T>{c.data(), mn, 1};
  const MatRef<T> rr = left ? MatRef<T>{ref.data(), 1, mn} : MatRef<T>{ref.data(), mn, 1};
  for (std::int64_t i = 0; i < m; ++i)
    for (std::int64_t j = 0; j < n; ++j)
      for (std::int64_t p = 0; p < kused; ++p) {
        const T a = left ? -xr(i, p) : yr(i, p), b = left ? yr(p, j) : -xr(p, j);
        rr(i, j) = std::fma(a, b, rr(i, j));
      }
  const PackedOperand<T> packed(side, mn, k);
  std::vector<T> data(static_cast<std::size_t>(packed.size()));
  for (std::int64_t t = packed.tiles() - 1; t >= 0; --t) packed.pack_tile(t, xr, true, data.data());
  packed.update(data.data(), m, n, kused, yr, cr);
  for (std::int64_t i = 0; i < mn * other; ++i) CHECK(c[i] == ref[i]);
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
  std::vector<double> a(m * n), tau(n), q(m * n);
  unsigned s = 5;
  fill_grid(a, s);
  std::vector<double> f = a;
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
    for (Side side : {Side::left, Side::right}) {
      test_packed_exact<double>(isa, side);
      test_packed_exact<float>(isa, side);
    }
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
