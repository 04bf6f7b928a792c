// Distribution kernels written once against a small vector interface `Ops`
// and compiled once per instruction set (kernels_scalar.cpp, kernels_avx2.cpp,
// kernels_avx512.cpp, each with only its own flags). Every output element sees
// the same sequence of IEEE operations and explicit FMAs in every
// instantiation, so all paths return identical bits (docs/design.md contract 2).
//
// Ops provides N 32-bit lanes (U: uint32, F: float) and N/2 64-bit lanes
// (Q: uint64, D: double). A group is N consecutive Philox blocks: 4N float
// elements or 2N double elements. store4 / store2 / store4_u16 write a
// group's values in element order.
//
// No libm here: log, sin/cos and the normal quantile are polynomials below,
// evaluated with explicit FMAs in a fixed Horner order; sqrt and division are
// IEEE correctly rounded on every path.

// Included inside a per-ISA namespace after <cmath>, <cstring>,
// kernel_tables.hpp and counter.hpp; it includes nothing itself.

namespace {

using weightinit::random::DistParams;
using weightinit::random::Distribution;
using U = Ops::U;
using F = Ops::F;
using Q = Ops::Q;
using D = Ops::D;
constexpr int N = Ops::N;

// ---------------------------------------------------------------- Philox ----
struct Words {
  U w[4];
};

// Round keys k0, k1 of each round, formed once per kernel call: the rounds
// then broadcast them from memory instead of from general registers.
struct RoundKeys {
  std::uint32_t k[weightinit::random::kPhiloxRounds][2];
  explicit RoundKeys(std::uint64_t key) {
    const weightinit::random::PhiloxKey pk = weightinit::random::philox_key(key);
    std::uint32_t k0 = pk[0], k1 = pk[1];
    for (int r = 0; r < weightinit::random::kPhiloxRounds; ++r) {
      k[r][0] = k0;
      k[r][1] = k1;
      k0 += weightinit::random::kPhiloxW0;
      k1 += weightinit::random::kPhiloxW1;
    }
  }
};

// M consecutive groups starting at block0, lane l of group g holding block
// block0 + g N + l with counter.hpp's counter. block0 is a multiple of N, so
// the low counter word never wraps inside a group. The M independent
// dependency chains are interleaved round by round to hide the multiply
// latency. Ops::store4 / store2 put word w of block b at element 4b + w /
// draw 2b + w/2 (counter.hpp), checked per ISA by tests/cpp/test_counter.cpp.
template <int M>
inline void philox_groups(const RoundKeys& rk, std::uint64_t stream, std::uint64_t block0,
                          Words* out) {
  using namespace weightinit::random;
  U c0[M], c1[M], c2[M], c3[M];
  for (int g = 0; g < M; ++g) {
    const Block c = counter(stream, block0 + static_cast<std::uint64_t>(g) * N);
    c0[g] = Ops::add(Ops::set1(c[0]), Ops::iota());
    c1[g] = Ops::set1(c[1]);
    c2[g] = Ops::set1(c[2]);
    c3[g] = Ops::set1(c[3]);
  }
  for (int r = 0; r < kPhiloxRounds; ++r) {
    const U kv0 = Ops::set1(rk.k[r][0]), kv1 = Ops::set1(rk.k[r][1]);
    for (int g = 0; g < M; ++g) {
      U hi0, lo0, hi1, lo1;
      Ops::mulhilo(c0[g], kPhiloxM0, hi0, lo0);
      Ops::mulhilo(c2[g], kPhiloxM1, hi1, lo1);
      c0[g] = Ops::xor3(hi1, c1[g], kv0);
      c1[g] = lo1;
      c2[g] = Ops::xor3(hi0, c3[g], kv1);
      c3[g] = lo0;
    }
  }
  for (int g = 0; g < M; ++g) out[g] = Words{{c0[g], c1[g], c2[g], c3[g]}};
}

// ------------------------------------------------------ uniform from bits ----
// Exponent trick (docs/algorithms.md 2.2): OR the top mantissa bits into 1.0, then
// one exact subtraction. Half-open k*2^-23 on [0, 1) for U(a, b); open
// (2k+1)*2^-24 on (0, 1), symmetric about 1/2, where a log follows.
inline F unit_halfopen_f32(U x) {
  return Ops::fsub(Ops::as_f(Ops::or_(Ops::srl<9>(x), Ops::set1(0x3F800000u))), Ops::fset1(1.0f));
}
inline F unit_open_f32(U x) {
  return Ops::fsub(Ops::as_f(Ops::or_(Ops::srl<9>(x), Ops::set1(0x3F800000u))),
                   Ops::fset1(1.0f - 0x1p-24f));
}
inline D unit_halfopen_f64(Q x) {
  return Ops::dsub(Ops::as_d(Ops::qor(Ops::qsrl<12>(x), Ops::qset1(0x3FF0000000000000ull))),
                   Ops::dset1(1.0));
}
inline D unit_open_f64(Q x) {
  return Ops::dsub(Ops::as_d(Ops::qor(Ops::qsrl<12>(x), Ops::qset1(0x3FF0000000000000ull))),
                   Ops::dset1(1.0 - 0x1p-53));
}

// ------------------------------------------------------------------ log ----
// ln x = e ln2 + 2 atanh(s), s = (f - 1)/(f + 1), f in [sqrt(1/2), sqrt(2)),
// |s| <= 0.1716, with 2 atanh(s) = 2s + s^3 Q(s^2). Q is a least-squares fit
// on Chebyshev nodes (50-digit arithmetic) to the relative error of ln f:
// max 9.5e-10 in float (3 terms), 1.4e-18 in double (7 terms), coefficients
// as rounded to the working precision.
inline F log_f32(F x) {
  // Range reduction without a compare: adding 0x3F800000 - kOff to the bits
  // carries into the exponent exactly when the mantissa is at least that of
  // kOff = sqrt(2)/2 rounded up (0x3F3504F4), which halves f and bumps e.
  constexpr std::uint32_t kOff = 0x3F3504F4u;
  U t = Ops::add(Ops::as_u(x), Ops::set1(0x3F800000u - kOff));
  F f = Ops::as_f(Ops::add(Ops::and_(t, Ops::set1(0x007FFFFFu)), Ops::set1(kOff)));
  F ef = Ops::fsub(Ops::cvt_i32_f(Ops::srl<23>(t)), Ops::fset1(127.0f));  // exact
  F s = Ops::fdiv(Ops::fsub(f, Ops::fset1(1.0f)), Ops::fadd(f, Ops::fset1(1.0f)));
  F s2 = Ops::fmul(s, s);
  F p = Ops::fset1(0.2985767722129822f);
  p = Ops::fma(p, s2, Ops::fset1(0.39978137612342834f));
  p = Ops::fma(p, s2, Ops::fset1(0.6666676998138428f));
  p = Ops::fmul(p, s2);
  F lnf = Ops::fma(p, s, Ops::fadd(s, s));
  // ln 2 split (Cody & Waite): e * 0.693359375 is exact for |e| < 2^15.
  // The first product is exact, so the outer FMA rounds like an add of it.
  return Ops::fma(ef, Ops::fset1(0.693359375f), Ops::fma(ef, Ops::fset1(-2.12194440e-4f), lnf));
}

// S * ln(x) for S a signed power of two (1, -1, -2): every coefficient and
// final term is scaled by S, which commutes exactly with rounding, so the
// result is bit for bit S times the unscaled evaluation, without the extra
// multiply by S.
template <int S>
inline D scaled_log_f64(D x) {
  constexpr double k = S;
  // Range reduction as in log_f32, kOff = sqrt(2)/2 rounded up.
  constexpr std::uint64_t kOff = 0x3FE6A09E667F3BCEull;
  Q t = Ops::qadd(Ops::as_q(x), Ops::qset1(0x3FF0000000000000ull - kOff));
  D f = Ops::as_d(Ops::qadd(Ops::qand(t, Ops::qset1(0x000FFFFFFFFFFFFFull)), Ops::qset1(kOff)));
  // The biased exponent (< 2^11) to double exactly, unbiased in the same subtraction.
  D ed = Ops::dsub(Ops::as_d(Ops::qadd(Ops::qsrl<52>(t), Ops::qset1(0x4338000000000000ull))),
                   Ops::dset1(6755399441055744.0 + 1023.0));
  D s = Ops::ddiv(Ops::dsub(f, Ops::dset1(1.0)), Ops::dadd(f, Ops::dset1(1.0)));
  D s2 = Ops::dmul(s, s);
  D p = Ops::dset1(k * 0.14783280762655815);
  p = Ops::dfma(p, s2, Ops::dset1(k * 0.15315369627984318));
  p = Ops::dfma(p, s2, Ops::dset1(k * 0.1818351033546862));
  p = Ops::dfma(p, s2, Ops::dset1(k * 0.22222199668550174));
  p = Ops::dfma(p, s2, Ops::dset1(k * 0.28571428731024556));
  p = Ops::dfma(p, s2, Ops::dset1(k * 0.39999999999469865));
  p = Ops::dfma(p, s2, Ops::dset1(k * 0.6666666666666725));
  p = Ops::dmul(p, s2);
  D lnf = Ops::dfma(p, s, Ops::dmul(s, Ops::dset1(2.0 * k)));
  // fdlibm's split of ln 2: e * ln2_hi is exact for |e| < 2^11.
  // The hi product is exact, so the outer FMA rounds like an add of it.
  return Ops::dfma(ed, Ops::dset1(k * 6.93147180369123816490e-01),
                   Ops::dfma(ed, Ops::dset1(k * 1.90821492927058770002e-10), lnf));
}

// -------------------------------------------------------------- sin/cos ----
// sin and cos of 2 pi r for |r| < 1/8 turn, no reduction needed: sin(2 pi r) =
// r P(r^2) and cos(2 pi r) = C(r^2) are least-squares fits on Chebyshev nodes
// (50-digit arithmetic) with max relative error 3.8e-8 / 8.8e-9 in float (4 / 5
// terms) and 4.3e-17 / 2.3e-17 in double (7 / 8 terms).
struct SinCosF {
  F c, s;
};
inline SinCosF sincos_eighth_f32(F r) {
  F r2 = Ops::fmul(r, r);
  F sp = Ops::fset1(-75.43057250976562f);
  sp = Ops::fma(sp, r2, Ops::fset1(81.59331512451172f));
  sp = Ops::fma(sp, r2, Ops::fset1(-41.34166717529297f));
  sp = Ops::fma(sp, r2, Ops::fset1(6.2831854820251465f));
  F cp = Ops::fset1(59.225040435791016f);
  cp = Ops::fma(cp, r2, Ops::fset1(-85.44305419921875f));
  cp = Ops::fma(cp, r2, Ops::fset1(64.93931579589844f));
  cp = Ops::fma(cp, r2, Ops::fset1(-19.739208221435547f));
  return {Ops::fma(cp, r2, Ops::fset1(1.0f)), Ops::fmul(sp, r)};
}

struct SinCosD {
  D c, s;
};
// Takes rd = r * 2^53, an integer: coefficient j of each polynomial in r^2
// carries 2^(-106 j) (and sin's a further 2^-53), powers of two that commute
// with rounding, so the values are bit for bit those of the polynomials in r,
// with two multiplies fewer.
inline SinCosD sincos_eighth_f64(D rd) {
  const D t = Ops::dmul(rd, rd);
  D sp = Ops::dset1(3.7812998661468002 * 0x1p-689);
  sp = Ops::dfma(sp, t, Ops::dset1(-15.093825731836784 * 0x1p-583));
  sp = Ops::dfma(sp, t, Ops::dset1(42.05868543048739 * 0x1p-477));
  sp = Ops::dfma(sp, t, Ops::dset1(-76.70585970798096 * 0x1p-371));
  sp = Ops::dfma(sp, t, Ops::dset1(81.6052492759639 * 0x1p-265));
  sp = Ops::dfma(sp, t, Ops::dset1(-41.34170224039966 * 0x1p-159));
  sp = Ops::dfma(sp, t, Ops::dset1(6.283185307179586 * 0x1p-53));
  D cp = Ops::dset1(-1.6968836187226088 * 0x1p-742);
  cp = Ops::dfma(cp, t, Ops::dset1(7.903094129161235 * 0x1p-636));
  cp = Ops::dfma(cp, t, Ops::dset1(-26.426250977244422 * 0x1p-530));
  cp = Ops::dfma(cp, t, Ops::dset1(60.24464132983481 * 0x1p-424));
  cp = Ops::dfma(cp, t, Ops::dset1(-85.4568172065299 * 0x1p-318));
  cp = Ops::dfma(cp, t, Ops::dset1(64.93939402266798 * 0x1p-212));
  cp = Ops::dfma(cp, t, Ops::dset1(-19.739208802178716 * 0x1p-106));
  return {Ops::dfma(cp, t, Ops::dset1(1.0)), Ops::dmul(sp, rd)};
}

// ---------------------------------------------------------- Box-Muller ----
// Box & Muller (1958): z1, z2 = rho cos(theta), rho sin(theta) with
// rho = sqrt(-2 ln u1), u1 from the first word on the open grid (never 0;
// max |z| is 5.77 in float and 8.57 in double). The angle comes from the
// second word without any reduction (docs/algorithms.md 3.1): its top bits give
// theta = 2 pi r, r uniform and symmetric on an odd grid in (-1/8, 1/8) turn,
// and its two low bits choose one of {identity, swap (reflection in y = x),
// rho -> -rho (rotation by pi), both}, which carry that quarter-turn sector
// onto the four sectors of the circle: theta is uniform on 2^24 (float) or
// 2^52 (double) angles. std is folded into rho.
inline void box_muller_f32(U x1, U x2, F mean, F std, F* z1, F* z2) {
  F u1 = unit_open_f32(x1);
  F rho = Ops::fmul(Ops::fsqrt(Ops::fmul(log_f32(u1), Ops::fset1(-2.0f))), std);
  rho = Ops::as_f(Ops::xor_and(Ops::as_u(rho), Ops::sll<30>(x2), Ops::set1(0x80000000u)));
  // r * 2^25 = (x2 >> 9 | 1) - 2^22, odd in (-2^22, 2^22): exact in float, formed
  // as (2^23 + (x2 >> 9 | 1)) - (2^23 + 2^22) from the bits of 2^23.
  F rr = Ops::fsub(Ops::as_f(Ops::or_(Ops::srl<9>(x2), Ops::set1(0x4B000001u))),
                   Ops::fset1(0x1p23f + 0x1p22f));
  SinCosF sc = sincos_eighth_f32(Ops::fmul(rr, Ops::fset1(0x1p-25f)));
  *z1 = Ops::fma(rho, Ops::fselect_bit<0>(x2, sc.s, sc.c), mean);
  *z2 = Ops::fma(rho, Ops::fselect_bit<0>(x2, sc.c, sc.s), mean);
}

inline void box_muller_f64(Q x1, Q x2, D mean, D std, D* z1, D* z2) {
  D u1 = unit_open_f64(x1);
  D rho = Ops::dmul(Ops::dsqrt(scaled_log_f64<-2>(u1)), std);
  rho = Ops::as_d(Ops::qxor_and(Ops::as_q(rho), Ops::qsll<62>(x2), Ops::qset1(1ull << 63)));
  // rd = r * 2^53 = (x2 >> 13 | 1) - 2^50, odd in (-2^50, 2^50), exactly, as
  // (1.5 * 2^52 + (x2 >> 13 | 1)) - (1.5 * 2^52 + 2^50) from the bits of 1.5 * 2^52.
  D rd = Ops::dsub(Ops::as_d(Ops::qor(Ops::qsrl<13>(x2), Ops::qset1(0x4338000000000001ull))),
                   Ops::dset1(0x1.8p52 + 0x1p50));
  SinCosD sc = sincos_eighth_f64(rd);
  *z1 = Ops::dfma(rho, Ops::dselect_bit<0>(x2, sc.s, sc.c), mean);
  *z2 = Ops::dfma(rho, Ops::dselect_bit<0>(x2, sc.c, sc.s), mean);
}

// ------------------------------------------------ normal quantile, float ----
// Giles (2010), "Approximating the erfinv function", single precision, with
// the tail variable w = -ln(4 p q) formed from both tail probabilities so
// neither end loses precision (docs/algorithms.md 3.1, "accuracy trap").
// *w_out receives the tail variable w (truncated_normal_f32 checks its range).
inline F normal_quantile_f32(F pl, F qh, F* w_out) {
  F w = Ops::fsub(Ops::fset1(0.0f), log_f32(Ops::fmul(Ops::fmul(pl, qh), Ops::fset1(4.0f))));
  *w_out = w;
  F wc = Ops::fsub(w, Ops::fset1(2.5f));
  F pc = Ops::fset1(2.81022636e-08f);
  pc = Ops::fma(pc, wc, Ops::fset1(3.43273939e-07f));
  pc = Ops::fma(pc, wc, Ops::fset1(-3.5233877e-06f));
  pc = Ops::fma(pc, wc, Ops::fset1(-4.39150654e-06f));
  pc = Ops::fma(pc, wc, Ops::fset1(0.00021858087f));
  pc = Ops::fma(pc, wc, Ops::fset1(-0.00125372503f));
  pc = Ops::fma(pc, wc, Ops::fset1(-0.00417768164f));
  pc = Ops::fma(pc, wc, Ops::fset1(0.246640727f));
  pc = Ops::fma(pc, wc, Ops::fset1(1.50140941f));
  // Tail branch, only when some lane needs it (w >= 5 has probability 0.0034
  // per draw on (0, 1) and never occurs for bounds inside +-2.4): the
  // selection is per lane, so skipping it changes no value on any path.
  const U central = Ops::flt(w, Ops::fset1(5.0f));
  if (!Ops::all(central)) {
    F wt = Ops::fsub(Ops::fsqrt(Ops::fmax(w, Ops::fset1(0.0f))), Ops::fset1(3.0f));
    F pt = Ops::fset1(-0.000200214257f);
    pt = Ops::fma(pt, wt, Ops::fset1(0.000100950558f));
    pt = Ops::fma(pt, wt, Ops::fset1(0.00134934322f));
    pt = Ops::fma(pt, wt, Ops::fset1(-0.00367342844f));
    pt = Ops::fma(pt, wt, Ops::fset1(0.00573950773f));
    pt = Ops::fma(pt, wt, Ops::fset1(-0.0076224613f));
    pt = Ops::fma(pt, wt, Ops::fset1(0.00943887047f));
    pt = Ops::fma(pt, wt, Ops::fset1(1.00167406f));
    pt = Ops::fma(pt, wt, Ops::fset1(2.83297682f));
    pc = Ops::fselect(central, pc, pt);
  }
  const F p = pc;
  // x = 2p - 1 from whichever tail is small.
  F x = Ops::fselect(Ops::flt(pl, Ops::fset1(0.5f)), Ops::fsub(Ops::fadd(pl, pl), Ops::fset1(1.0f)),
                     Ops::fsub(Ops::fset1(1.0f), Ops::fadd(qh, qh)));
  return Ops::fmul(Ops::fmul(p, x), Ops::fset1(1.41421356237309505f));
}

// ----------------------------------------------- normal quantile, double ----
// Wichura (1988), Algorithm AS 241 PPND16, about 1e-16 relative accuracy.
inline D horner8(D x, const double* c) {
  D p = Ops::dset1(c[7]);
  for (int i = 6; i >= 0; --i) p = Ops::dfma(p, x, Ops::dset1(c[i]));
  return p;
}
inline D horner8_select(Q m, D x, const double* c_true, const double* c_false) {
  D p = Ops::dselect(m, Ops::dset1(c_true[7]), Ops::dset1(c_false[7]));
  for (int i = 6; i >= 0; --i)
    p = Ops::dfma(p, x, Ops::dselect(m, Ops::dset1(c_true[i]), Ops::dset1(c_false[i])));
  return p;
}

constexpr double kAs241A[8] = {3.3871328727963666080e0,  1.3314166789178437745e+2,
                               1.9715909503065514427e+3, 1.3731693765509461125e+4,
                               4.5921953931549871457e+4, 6.7265770927008700853e+4,
                               3.3430575583588128105e+4, 2.5090809287301226727e+3};
constexpr double kAs241B[8] = {1.0,
                               4.2313330701600911252e+1,
                               6.8718700749205790830e+2,
                               5.3941960214247511077e+3,
                               2.1213794301586595867e+4,
                               3.9307895800092710610e+4,
                               2.8729085735721942674e+4,
                               5.2264952788528545610e+3};
constexpr double kAs241C[8] = {1.42343711074968357734e0,  4.63033784615654529590e0,
                               5.76949722146069140550e0,  3.64784832476320460504e0,
                               1.27045825245236838258e0,  2.41780725177450611770e-1,
                               2.27238449892691845833e-2, 7.74545014278341407640e-4};
constexpr double kAs241D[8] = {1.0,
                               2.05319162663775882187e0,
                               1.67638483018380384940e0,
                               6.89767334985100004550e-1,
                               1.48103976427480074590e-1,
                               1.51986665636164571966e-2,
                               5.47593808499534494600e-4,
                               1.05075007164441684324e-9};
constexpr double kAs241E[8] = {6.65790464350110377720e0,  5.46378491116411436990e0,
                               1.78482653991729133580e0,  2.96560571828504891230e-1,
                               2.65321895265761230930e-2, 1.24266094738807843860e-3,
                               2.71155556874348757815e-5, 2.01033439929228813265e-7};
constexpr double kAs241F[8] = {1.0,
                               5.99832206555887937690e-1,
                               1.36929880922735805310e-1,
                               1.48753612908506148525e-2,
                               7.86869131145613259100e-4,
                               1.84631831751005468180e-5,
                               1.42151175831644588870e-7,
                               2.04426310338993978564e-15};

inline D normal_quantile_f64(D pl, D qh) {
  D q = Ops::dsub(pl, Ops::dset1(0.5));
  D rc = Ops::dsub(Ops::dset1(0.180625), Ops::dmul(q, q));
  D z = Ops::ddiv(Ops::dmul(q, horner8(rc, kAs241A)), horner8(rc, kAs241B));
  const Q central = Ops::dle(Ops::dmax(q, Ops::dsub(Ops::dset1(0.0), q)), Ops::dset1(0.425));
  if (!Ops::qall(central)) {  // per-lane selection: skipping changes no value
    D t = Ops::dmin(pl, qh);
    D r = Ops::dsqrt(scaled_log_f64<-1>(t));
    Q near = Ops::dle(r, Ops::dset1(5.0));
    D rr = Ops::dselect(near, Ops::dsub(r, Ops::dset1(1.6)), Ops::dsub(r, Ops::dset1(5.0)));
    D zt = Ops::ddiv(horner8_select(near, rr, kAs241C, kAs241E),
                     horner8_select(near, rr, kAs241D, kAs241F));
    zt = Ops::dselect(Ops::dlt(pl, Ops::dset1(0.5)), Ops::dsub(Ops::dset1(0.0), zt), zt);
    z = Ops::dselect(central, z, zt);
  }
  return z;
}

// --------------------------------------------- per-call prepared params ----
struct PreparedF64 {
  D a, b, c, lo, hi;  // meaning depends on the distribution
  D cdf_alpha, sf_beta, mass;
};
struct PreparedF32 {
  F a, b, c, lo, hi;
  F cdf_alpha, sf_beta, mass;
  PreparedF64 deep;  // truncated normal: the double constants of its deep tail
};
PreparedF64 prepare_f64(const DistParams& p);

inline float largest_below_f32(double high) {
  float h = static_cast<float>(high);
  while (static_cast<double>(h) >= high) h = std::nextafter(h, -INFINITY);
  return h;
}
inline double largest_below_f64(double high) { return std::nextafter(high, -INFINITY); }
// The float32 value nearest `low` may lie below it; values are raised to this one.
inline float smallest_at_least_f32(double low) {
  float l = static_cast<float>(low);
  while (static_cast<double>(l) < low) l = std::nextafter(l, INFINITY);
  return l;
}

PreparedF32 prepare_f32(const DistParams& p) {
  PreparedF32 r{};
  switch (p.kind) {
    case Distribution::uniform: {
      const float lo = static_cast<float>(p.uniform.low);
      r.a = Ops::fset1(lo);
      r.b = Ops::fset1(static_cast<float>(p.uniform.high) - lo);  // width
      r.hi = Ops::fset1(largest_below_f32(p.uniform.high));
      r.lo = Ops::fset1(smallest_at_least_f32(p.uniform.low));
      break;
    }
    case Distribution::normal:
      r.a = Ops::fset1(static_cast<float>(p.normal.mean));
      r.b = Ops::fset1(static_cast<float>(p.normal.std));
      break;
    case Distribution::truncated_normal: {
      const auto& t = p.truncated;
      r.a = Ops::fset1(static_cast<float>(t.mean));
      r.b = Ops::fset1(static_cast<float>(t.scale));
      r.lo = Ops::fset1(static_cast<float>(t.alpha));
      r.hi = Ops::fset1(static_cast<float>(t.beta));
      r.cdf_alpha = Ops::fset1(static_cast<float>(t.cdf_alpha));
      r.sf_beta = Ops::fset1(static_cast<float>(t.sf_beta));
      r.mass = Ops::fset1(static_cast<float>(t.mass));
      r.deep = prepare_f64(p);
      break;
    }
  }
  return r;
}

PreparedF64 prepare_f64(const DistParams& p) {
  PreparedF64 r{};
  switch (p.kind) {
    case Distribution::uniform:
      r.a = Ops::dset1(p.uniform.low);
      r.b = Ops::dset1(p.uniform.high - p.uniform.low);
      r.hi = Ops::dset1(largest_below_f64(p.uniform.high));
      break;
    case Distribution::normal:
      r.a = Ops::dset1(p.normal.mean);
      r.b = Ops::dset1(p.normal.std);
      break;
    case Distribution::truncated_normal: {
      const auto& t = p.truncated;
      r.a = Ops::dset1(t.mean);
      r.b = Ops::dset1(t.scale);
      r.lo = Ops::dset1(t.alpha);
      r.hi = Ops::dset1(t.beta);
      r.cdf_alpha = Ops::dset1(t.cdf_alpha);
      r.sf_beta = Ops::dset1(t.sf_beta);
      r.mass = Ops::dset1(t.mass);
      break;
    }
  }
  return r;
}

// ------------------------------------------------------- truncated normal ----
// docs/algorithms.md 4.2: z = Phi^-1(p, q) with p = Phi(alpha) + u Z and
// q = (1 - Phi(beta)) + (1 - u) Z, clamped to [alpha, beta]; value = mean + scale z.
inline D truncated_normal_f64(const PreparedF64& p, D u) {
  D pl = Ops::dfma(u, p.mass, p.cdf_alpha);
  D qh = Ops::dfma(Ops::dsub(Ops::dset1(1.0), u), p.mass, p.sf_beta);
  D z = Ops::dmin(Ops::dmax(normal_quantile_f64(pl, qh), p.lo), p.hi);
  return Ops::dfma(z, p.b, p.a);
}

// Giles' single-precision fit is made for w = -ln(4 p q) up to 23 ln 2 = 15.94, the
// largest w of a float32 argument; past it the error grows fast (5 ulp at w = 16, 45 at
// 17, 10^6 at 40, where every value lands on the bound). Elements with w >= kGilesMaxW
// (|z| above about 5.4) are recomputed in double from the same draw; all others keep
// the float32 computation bit for bit (docs/algorithms.md 4.2, "The deep tail").
constexpr float kGilesMaxW = 16.0f;

inline F truncated_normal_f32(const PreparedF32& p, U x, F* w) {
  F u = unit_open_f32(x);
  F pl = Ops::fma(u, p.mass, p.cdf_alpha);
  F qh = Ops::fma(Ops::fsub(Ops::fset1(1.0f), u), p.mass, p.sf_beta);
  F z = Ops::fmin(Ops::fmax(normal_quantile_f32(pl, qh, w), p.lo), p.hi);
  return Ops::fma(z, p.b, p.a);
}

// Rewrites the elements of a group (dst: 4N floats as store4 wrote them) whose w is not
// below kGilesMaxW with the double computation of the same u, rounded once to float.
inline void truncated_normal_deep_f32(const PreparedF64& p, const Words& w, const F tail_w[4],
                                      float* dst) {
  alignas(64) float wv[4 * N];
  alignas(64) double v[2][2 * N];  // words (0, 1) and (2, 3), each in store2's order
  Ops::store4(wv, tail_w[0], tail_w[1], tail_w[2], tail_w[3]);
  const U zero = Ops::set1(0u);
  // u = (x >> 9) 2^-23 + 2^-24 (unit_open_f32's value, exact in double), from the bits of
  // 1 + (x >> 9) 2^-23 with the draw x zero-extended into a 64-bit lane.
  const auto value = [&p](Q x) {
    D one_u =
        Ops::as_d(Ops::qor(Ops::qsll<29>(Ops::qsrl<9>(x)), Ops::qset1(0x3FF0000000000000ull)));
    return truncated_normal_f64(p, Ops::dsub(one_u, Ops::dset1(1.0 - 0x1p-24)));
  };
  for (int k = 0; k < 2; ++k) {
    const U a = w.w[2 * k], b = w.w[2 * k + 1];
    Ops::store2(v[k], value(Ops::q_lo(a, zero)), value(Ops::q_lo(b, zero)));
    Ops::store2(v[k] + N, value(Ops::q_hi(a, zero)), value(Ops::q_hi(b, zero)));
  }
  for (int blk = 0; blk < N; ++blk)
    for (int i = 0; i < 4; ++i)
      if (!(wv[4 * blk + i] < kGilesMaxW))
        dst[4 * blk + i] = static_cast<float>(v[i / 2][2 * blk + i % 2]);
}

// ------------------------------------------------------- group transforms ----
// The 4N float32 values of a group, o[i] lane j being element 4j + i (Ops::store4).
// Returns true when a truncated-normal element is past Giles' range: the caller
// then stores the group as float and lets truncated_normal_deep_f32 rewrite
// those elements (tail_w holds their w) before any rounding to bfloat16.
template <Distribution K>
inline bool transform_f32(const PreparedF32& p, const Words& w, F* o /* [4] */,
                          F* tail_w /* [4] */) {
  if constexpr (K == Distribution::uniform) {
    // Clamped into [low, high): fma >= float(low) leaves only values below `low` to raise
    // (float(low) < low), so no value inside the interval changes (docs/algorithms.md 2.3).
    for (int i = 0; i < 4; ++i)
      o[i] = Ops::fmax(Ops::fmin(Ops::fma(unit_halfopen_f32(w.w[i]), p.b, p.a), p.hi), p.lo);
  } else if constexpr (K == Distribution::normal) {
    box_muller_f32(w.w[0], w.w[1], p.a, p.b, &o[0], &o[1]);
    box_muller_f32(w.w[2], w.w[3], p.a, p.b, &o[2], &o[3]);
  } else {
    bool deep = false;
    for (int i = 0; i < 4; ++i) {
      o[i] = truncated_normal_f32(p, w.w[i], &tail_w[i]);
      deep = deep || !Ops::all(Ops::flt(tail_w[i], Ops::fset1(kGilesMaxW)));
    }
    return deep;
  }
  return false;
}

// bfloat16 bits of float32 lanes, in the low half of each lane: round to
// nearest even as (u + 0x7FFF + ((u >> 16) & 1)) >> 16 on the bits u, which
// carries into the exponent (up to infinity) exactly as IEEE rounding does; a
// NaN keeps its sign and top payload and is made quiet, (u >> 16) | 0x40
// (float_to_bfloat16, docs/algorithms.md 2.4). Integer operations only, so
// every instruction set gives the same bits.
inline U bfloat16_bits(F x) {
  const U u = Ops::as_u(x);
  const U rounded = Ops::srl<16>(
      Ops::add(u, Ops::add(Ops::and_(Ops::srl<16>(u), Ops::set1(1u)), Ops::set1(0x7FFFu))));
  // NaN is the one value neither below +inf nor above -inf.
  const U ordered = Ops::or_(Ops::flt(x, Ops::fset1(INFINITY)), Ops::flt(Ops::fset1(-INFINITY), x));
  if (Ops::all(ordered)) return rounded;  // per-lane selection: skipping changes no value
  return Ops::select(ordered, rounded, Ops::or_(Ops::srl<16>(u), Ops::set1(0x40u)));
}

template <Distribution K>
inline void transform_f64(const PreparedF64& p, const Words& w, double* dst /* 2N doubles */) {
  // Element 2b takes words (0, 1) of block b, element 2b+1 words (2, 3).
  const Q x[2][2] = {{Ops::q_lo(w.w[0], w.w[1]), Ops::q_lo(w.w[2], w.w[3])},
                     {Ops::q_hi(w.w[0], w.w[1]), Ops::q_hi(w.w[2], w.w[3])}};
  for (int h = 0; h < 2; ++h) {
    D o[2];
    if constexpr (K == Distribution::uniform) {
      for (int i = 0; i < 2; ++i)
        o[i] = Ops::dmin(Ops::dfma(unit_halfopen_f64(x[h][i]), p.b, p.a), p.hi);
    } else if constexpr (K == Distribution::normal) {
      box_muller_f64(x[h][0], x[h][1], p.a, p.b, &o[0], &o[1]);
    } else {
      for (int i = 0; i < 2; ++i) o[i] = truncated_normal_f64(p, unit_open_f64(x[h][i]));
    }
    Ops::store2(dst + h * N, o[0], o[1]);
  }
}

// Output types: float, double, and std::uint16_t for bfloat16 bits (the float
// values rounded in registers, never stored as float).
template <typename T>
constexpr std::size_t kGroup = sizeof(T) == 8 ? 2 * N : 4 * N;

// M consecutive groups from group index g0, written to dst.
template <Distribution K, int M, typename T, typename Prepared>
inline void groups(const Prepared& p, const RoundKeys& key, std::uint64_t stream, std::uint64_t g0,
                   T* dst) {
  constexpr std::size_t G = kGroup<T>;
  Words w[M];
  philox_groups<M>(key, stream, g0 * N, w);
  for (int g = 0; g < M; ++g) {
    if constexpr (sizeof(T) == 8) {
      transform_f64<K>(p, w[g], dst + g * G);
    } else {
      F o[4], tail_w[4];
      const bool deep = transform_f32<K>(p, w[g], o, tail_w);
      if constexpr (sizeof(T) == 4) {
        Ops::store4(dst + g * G, o[0], o[1], o[2], o[3]);
        if (deep) truncated_normal_deep_f32(p.deep, w[g], tail_w, dst + g * G);
      } else if (deep) {
        // Rare (|z| above about 5.4): the float32 values are fixed first, then each is
        // rounded by the scalar rule, which gives bfloat16_bits' bits (test_counter).
        alignas(64) float f[4 * N];
        Ops::store4(f, o[0], o[1], o[2], o[3]);
        truncated_normal_deep_f32(p.deep, w[g], tail_w, f);
        for (std::size_t i = 0; i < G; ++i) dst[g * G + i] = float_to_bfloat16(f[i]);
      } else {
        Ops::store4_u16(dst + g * G, bfloat16_bits(o[0]), bfloat16_bits(o[1]), bfloat16_bits(o[2]),
                        bfloat16_bits(o[3]));
      }
    }
  }
}

// Any run [first, first + n): whole groups are written in place, four at a
// time; a partial group at either end goes through a stack buffer (same
// arithmetic, so the same bits).
template <Distribution K, typename T, typename Prepared>
inline void run(const Prepared& p, const RoundKeys& key, std::uint64_t stream, std::uint64_t first,
                std::size_t n, T* out) {
  constexpr std::uint64_t G = kGroup<T>;
  alignas(64) T tmp[G];
  std::uint64_t e = first;
  const std::uint64_t end = first + n;
  if (e % G != 0) {
    groups<K, 1>(p, key, stream, e / G, tmp);
    const std::uint64_t off = e % G;
    const std::uint64_t take = (end - e < G - off) ? end - e : G - off;
    std::memcpy(out, tmp + off, take * sizeof(T));
    e += take;
  }
  while (end - e >= 4 * G) {
    groups<K, 4>(p, key, stream, e / G, out + (e - first));
    e += 4 * G;
  }
  while (end - e >= G) {
    groups<K, 1>(p, key, stream, e / G, out + (e - first));
    e += G;
  }
  if (e < end) {
    groups<K, 1>(p, key, stream, e / G, tmp);
    std::memcpy(out + (e - first), tmp, (end - e) * sizeof(T));
  }
}

void kernel_f32(const DistParams& params, std::uint64_t key, std::uint64_t stream,
                std::uint64_t first, std::size_t n, float* out) {
  const PreparedF32 p = prepare_f32(params);
  const RoundKeys rk(key);
  switch (params.kind) {
    case Distribution::uniform:
      run<Distribution::uniform>(p, rk, stream, first, n, out);
      break;
    case Distribution::normal:
      run<Distribution::normal>(p, rk, stream, first, n, out);
      break;
    case Distribution::truncated_normal:
      run<Distribution::truncated_normal>(p, rk, stream, first, n, out);
      break;
  }
}

void kernel_bf16(const DistParams& params, std::uint64_t key, std::uint64_t stream,
                 std::uint64_t first, std::size_t n, std::uint16_t* out) {
  const PreparedF32 p = prepare_f32(params);
  const RoundKeys rk(key);
  switch (params.kind) {
    case Distribution::uniform:
      run<Distribution::uniform>(p, rk, stream, first, n, out);
      break;
    case Distribution::normal:
      run<Distribution::normal>(p, rk, stream, first, n, out);
      break;
    case Distribution::truncated_normal:
      run<Distribution::truncated_normal>(p, rk, stream, first, n, out);
      break;
  }
}

void kernel_f64(const DistParams& params, std::uint64_t key, std::uint64_t stream,
                std::uint64_t first, std::size_t n, double* out) {
  const PreparedF64 p = prepare_f64(params);
  const RoundKeys rk(key);
  switch (params.kind) {
    case Distribution::uniform:
      run<Distribution::uniform>(p, rk, stream, first, n, out);
      break;
    case Distribution::normal:
      run<Distribution::normal>(p, rk, stream, first, n, out);
      break;
    case Distribution::truncated_normal:
      run<Distribution::truncated_normal>(p, rk, stream, first, n, out);
      break;
  }
}

}  // namespace
