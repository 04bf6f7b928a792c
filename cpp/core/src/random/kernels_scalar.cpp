// Portable instantiation of the distribution kernels for baseline x86-64 and
// any other CPU: the same arithmetic, lane by lane, with std::fma (correctly
// rounded with or without hardware FMA) where the vector paths use FMA.
#include <cmath>
#include <cstdint>
#include <cstring>

#include "kernel_tables.hpp"
#include "weightinit/random/counter.hpp"

namespace weightinit::random::scalar {

struct Ops {
  static constexpr int N = 4;
  struct U {
    std::uint32_t v[N];
  };
  struct F {
    float v[N];
  };
  struct Q {
    std::uint64_t v[N / 2];
  };
  struct D {
    double v[N / 2];
  };

  template <typename R, typename A, typename Fn>
  static R map(const A& a, Fn f) {
    R r;
    for (std::size_t i = 0; i < sizeof(r.v) / sizeof(r.v[0]); ++i) r.v[i] = f(a.v[i]);
    return r;
  }
  template <typename R, typename A, typename B, typename Fn>
  static R map2(const A& a, const B& b, Fn f) {
    R r;
    for (std::size_t i = 0; i < sizeof(r.v) / sizeof(r.v[0]); ++i) r.v[i] = f(a.v[i], b.v[i]);
    return r;
  }
  template <typename To, typename From>
  static To bits(From x) {
    To t;
    std::memcpy(&t, &x, sizeof t);
    return t;
  }

  static U set1(std::uint32_t x) {
    U r;
    for (auto& v : r.v) v = x;
    return r;
  }
  static U iota() {
    U r;
    for (int i = 0; i < N; ++i) r.v[i] = static_cast<std::uint32_t>(i);
    return r;
  }
  static U add(U a, U b) {
    return map2<U>(a, b, [](std::uint32_t x, std::uint32_t y) { return x + y; });
  }
  static U sub(U a, U b) {
    return map2<U>(a, b, [](std::uint32_t x, std::uint32_t y) { return x - y; });
  }
  static U and_(U a, U b) {
    return map2<U>(a, b, [](std::uint32_t x, std::uint32_t y) { return x & y; });
  }
  static U or_(U a, U b) {
    return map2<U>(a, b, [](std::uint32_t x, std::uint32_t y) { return x | y; });
  }
  static U xor_(U a, U b) {
    return map2<U>(a, b, [](std::uint32_t x, std::uint32_t y) { return x ^ y; });
  }
  static U xor3(U a, U b, U c) { return xor_(xor_(a, b), c); }
  template <int n>
  static U srl(U a) {
    return map<U>(a, [](std::uint32_t x) { return x >> n; });
  }
  template <int n>
  static U sll(U a) {
    return map<U>(a, [](std::uint32_t x) { return x << n; });
  }
  static bool all(U m) {
    for (auto v : m.v)
      if (v != 0xFFFFFFFFu) return false;
    return true;
  }
  static U select(U m, U a, U b) { return or_(and_(m, a), and_(xor_(m, set1(~0u)), b)); }
  static void mulhilo(U a, std::uint32_t m, U& hi, U& lo) {
    for (int i = 0; i < N; ++i) {
      const std::uint64_t p = std::uint64_t{a.v[i]} * m;
      hi.v[i] = static_cast<std::uint32_t>(p >> 32);
      lo.v[i] = static_cast<std::uint32_t>(p);
    }
  }

  static F fset1(float x) {
    F r;
    for (auto& v : r.v) v = x;
    return r;
  }
  static F as_f(U a) {
    return map<F>(a, [](std::uint32_t x) { return bits<float>(x); });
  }
  static U as_u(F a) {
    return map<U>(a, [](float x) { return bits<std::uint32_t>(x); });
  }
  static F fadd(F a, F b) {
    return map2<F>(a, b, [](float x, float y) { return x + y; });
  }
  static F fsub(F a, F b) {
    return map2<F>(a, b, [](float x, float y) { return x - y; });
  }
  static F fmul(F a, F b) {
    return map2<F>(a, b, [](float x, float y) { return x * y; });
  }
  static F fdiv(F a, F b) {
    return map2<F>(a, b, [](float x, float y) { return x / y; });
  }
  static F fma(F a, F b, F c) {
    F r;
    for (int i = 0; i < N; ++i) r.v[i] = std::fma(a.v[i], b.v[i], c.v[i]);
    return r;
  }
  static F fsqrt(F a) {
    return map<F>(a, [](float x) { return std::sqrt(x); });
  }
  // Same operand order as minps/maxps: the second operand wins unless the first is strictly better.
  static F fmin(F a, F b) {
    return map2<F>(a, b, [](float x, float y) { return x < y ? x : y; });
  }
  static F fmax(F a, F b) {
    return map2<F>(a, b, [](float x, float y) { return x > y ? x : y; });
  }
  static U flt(F a, F b) {
    U r;
    for (int i = 0; i < N; ++i) r.v[i] = a.v[i] < b.v[i] ? 0xFFFFFFFFu : 0u;
    return r;
  }
  static F fselect(U m, F a, F b) { return as_f(select(m, as_u(a), as_u(b))); }
  // a where bit `b` of x is set, else c
  template <int b>
  static F fselect_bit(U x, F a, F c) {
    F r;
    for (int i = 0; i < N; ++i) r.v[i] = (x.v[i] >> b) & 1u ? a.v[i] : c.v[i];
    return r;
  }
  static U xor_and(U a, U b, U c) { return xor_(a, and_(b, c)); }
  static F cvt_i32_f(U a) {
    return map<F>(a,
                  [](std::uint32_t x) { return static_cast<float>(static_cast<std::int32_t>(x)); });
  }

  static Q q_lo(U lo, U hi) {
    Q r;
    for (int i = 0; i < N / 2; ++i) r.v[i] = lo.v[i] | (std::uint64_t{hi.v[i]} << 32);
    return r;
  }
  static Q q_hi(U lo, U hi) {
    Q r;
    for (int i = 0; i < N / 2; ++i)
      r.v[i] = lo.v[N / 2 + i] | (std::uint64_t{hi.v[N / 2 + i]} << 32);
    return r;
  }
  static Q qset1(std::uint64_t x) {
    Q r;
    for (auto& v : r.v) v = x;
    return r;
  }
  static Q qadd(Q a, Q b) {
    return map2<Q>(a, b, [](std::uint64_t x, std::uint64_t y) { return x + y; });
  }
  static Q qsub(Q a, Q b) {
    return map2<Q>(a, b, [](std::uint64_t x, std::uint64_t y) { return x - y; });
  }
  static Q qand(Q a, Q b) {
    return map2<Q>(a, b, [](std::uint64_t x, std::uint64_t y) { return x & y; });
  }
  static Q qor(Q a, Q b) {
    return map2<Q>(a, b, [](std::uint64_t x, std::uint64_t y) { return x | y; });
  }
  static Q qxor(Q a, Q b) {
    return map2<Q>(a, b, [](std::uint64_t x, std::uint64_t y) { return x ^ y; });
  }
  template <int n>
  static Q qsrl(Q a) {
    return map<Q>(a, [](std::uint64_t x) { return x >> n; });
  }
  template <int n>
  static Q qsll(Q a) {
    return map<Q>(a, [](std::uint64_t x) { return x << n; });
  }
  static bool qall(Q m) {
    for (auto v : m.v)
      if (v != ~0ull) return false;
    return true;
  }
  static Q qselect(Q m, Q a, Q b) { return qor(qand(m, a), qand(qxor(m, qset1(~0ull)), b)); }

  static D dset1(double x) {
    D r;
    for (auto& v : r.v) v = x;
    return r;
  }
  static D as_d(Q a) {
    return map<D>(a, [](std::uint64_t x) { return bits<double>(x); });
  }
  static Q as_q(D a) {
    return map<Q>(a, [](double x) { return bits<std::uint64_t>(x); });
  }
  static D dadd(D a, D b) {
    return map2<D>(a, b, [](double x, double y) { return x + y; });
  }
  static D dsub(D a, D b) {
    return map2<D>(a, b, [](double x, double y) { return x - y; });
  }
  static D dmul(D a, D b) {
    return map2<D>(a, b, [](double x, double y) { return x * y; });
  }
  static D ddiv(D a, D b) {
    return map2<D>(a, b, [](double x, double y) { return x / y; });
  }
  static D dfma(D a, D b, D c) {
    D r;
    for (int i = 0; i < N / 2; ++i) r.v[i] = std::fma(a.v[i], b.v[i], c.v[i]);
    return r;
  }
  static D dsqrt(D a) {
    return map<D>(a, [](double x) { return std::sqrt(x); });
  }
  static D dmin(D a, D b) {
    return map2<D>(a, b, [](double x, double y) { return x < y ? x : y; });
  }
  static D dmax(D a, D b) {
    return map2<D>(a, b, [](double x, double y) { return x > y ? x : y; });
  }
  static Q dlt(D a, D b) {
    Q r;
    for (int i = 0; i < N / 2; ++i) r.v[i] = a.v[i] < b.v[i] ? ~0ull : 0ull;
    return r;
  }
  static Q dle(D a, D b) {
    Q r;
    for (int i = 0; i < N / 2; ++i) r.v[i] = a.v[i] <= b.v[i] ? ~0ull : 0ull;
    return r;
  }
  static D dselect(Q m, D a, D b) { return as_d(qselect(m, as_q(a), as_q(b))); }
  template <int b>
  static D dselect_bit(Q x, D a, D c) {
    D r;
    for (int i = 0; i < N / 2; ++i) r.v[i] = (x.v[i] >> b) & 1u ? a.v[i] : c.v[i];
    return r;
  }
  static Q qxor_and(Q a, Q b, Q c) { return qxor(a, qand(b, c)); }

  static void store4(float* dst, F o0, F o1, F o2, F o3) {
    for (int j = 0; j < N; ++j) {
      dst[4 * j] = o0.v[j];
      dst[4 * j + 1] = o1.v[j];
      dst[4 * j + 2] = o2.v[j];
      dst[4 * j + 3] = o3.v[j];
    }
  }
  // dst[4j + i] = low 16 bits of b_i[j]
  static void store4_u16(std::uint16_t* dst, U b0, U b1, U b2, U b3) {
    for (int j = 0; j < N; ++j) {
      dst[4 * j] = static_cast<std::uint16_t>(b0.v[j]);
      dst[4 * j + 1] = static_cast<std::uint16_t>(b1.v[j]);
      dst[4 * j + 2] = static_cast<std::uint16_t>(b2.v[j]);
      dst[4 * j + 3] = static_cast<std::uint16_t>(b3.v[j]);
    }
  }
  static void store2(double* dst, D a, D b) {
    for (int j = 0; j < N / 2; ++j) {
      dst[2 * j] = a.v[j];
      dst[2 * j + 1] = b.v[j];
    }
  }
};

#include "kernels.inl"

const KernelTable& kernels() {
  static const KernelTable table{kernel_f32, kernel_f64, kernel_bf16};
  return table;
}

namespace {

// Every lane of every word carries the element's draws, so store4 / store2
// put the results for x1 (z1 for normal) at out[0] and for x2 (z2) at out[1].
template <Distribution K>
float element_f32(const PreparedF32& p, std::uint32_t x1, std::uint32_t x2, int slot) {
  const Words w{{Ops::set1(x1), Ops::set1(x2), Ops::set1(x1), Ops::set1(x2)}};
  F o[4], tail_w[4];
  float out[4 * N];
  const bool deep = transform_f32<K>(p, w, o, tail_w);
  Ops::store4(out, o[0], o[1], o[2], o[3]);
  if (deep) truncated_normal_deep_f32(p.deep, w, tail_w, out);
  return out[slot];
}

template <Distribution K>
double element_f64(const PreparedF64& p, std::uint64_t x1, std::uint64_t x2, int slot) {
  const auto lo = [](std::uint64_t x) { return Ops::set1(static_cast<std::uint32_t>(x)); };
  const auto hi = [](std::uint64_t x) { return Ops::set1(static_cast<std::uint32_t>(x >> 32)); };
  const Words w{{lo(x1), hi(x1), lo(x2), hi(x2)}};
  double out[2 * N];
  transform_f64<K>(p, w, out);
  return out[slot];
}

}  // namespace
}  // namespace weightinit::random::scalar

namespace weightinit::random {

float scalar_element_f32(const DistParams& params, std::uint32_t x1, std::uint32_t x2, int slot) {
  const scalar::PreparedF32 p = scalar::prepare_f32(params);
  switch (params.kind) {
    case Distribution::uniform:
      return scalar::element_f32<Distribution::uniform>(p, x1, x2, 0);
    case Distribution::normal:
      return scalar::element_f32<Distribution::normal>(p, x1, x2, slot);
    case Distribution::truncated_normal:
      return scalar::element_f32<Distribution::truncated_normal>(p, x1, x2, 0);
  }
  return 0.0f;
}

double scalar_element_f64(const DistParams& params, std::uint64_t x1, std::uint64_t x2, int slot) {
  const scalar::PreparedF64 p = scalar::prepare_f64(params);
  switch (params.kind) {
    case Distribution::uniform:
      return scalar::element_f64<Distribution::uniform>(p, x1, x2, 0);
    case Distribution::normal:
      return scalar::element_f64<Distribution::normal>(p, x1, x2, slot);
    case Distribution::truncated_normal:
      return scalar::element_f64<Distribution::truncated_normal>(p, x1, x2, 0);
  }
  return 0.0;
}

}  // namespace weightinit::random
