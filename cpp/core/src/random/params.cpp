// Parameter preparation in double precision from IEEE basic operations only,
// so that the constants that shape every value are the same on every machine
// (a libm erfc may differ in the last bit between versions).
#include <cmath>
#include <limits>
#include <map>
#include <mutex>
#include <utility>

#include "weightinit/random/distributions.hpp"

namespace weightinit::random {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kInvSqrtPi = 0.56418958354775628695;   // 1/sqrt(pi)
constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/sqrt(2 pi)

// exp(x) by Cody-Waite reduction x = k ln2 + r, |r| <= ln2/2, and a Taylor
// series truncated below 2^-60; std::ldexp is exact.
double exp_basic(double x) {
  if (x < -745.0) return 0.0;
  const double k = std::nearbyint(x * 1.44269504088896340736);
  const double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
  double term = 1.0, sum = 1.0;
  for (int n = 1; n <= 18; ++n) {
    term = term * r / n;
    sum += term;
  }
  return std::ldexp(sum, static_cast<int>(k));
}

// erfc(t) for t >= 0.
double erfc_nonneg(double t) {
  if (t < 0.5) {
    // erf series: 2/sqrt(pi) sum (-1)^n t^(2n+1) / (n! (2n+1)); alternating,
    // terms below 1e-18 by n = 14 for t < 0.5.
    double term = t, sum = t;
    const double t2 = t * t;
    for (int n = 1; n <= 20; ++n) {
      term = -term * t2 / n;
      sum += term / (2 * n + 1);
    }
    return 1.0 - 2.0 * kInvSqrtPi * sum;
  }
  if (t < 1.0) {
    // erf(t) = 2/sqrt(pi) exp(-t^2) sum 2^n t^(2n+1) / (1*3*...*(2n+1)):
    // positive terms, no cancellation; erfc(t) > 0.157 so 1 - erf keeps its digits.
    double term = t, sum = t;
    const double t2 = 2.0 * t * t;
    for (int n = 1; n <= 120; ++n) {
      term = term * t2 / (2 * n + 1);
      sum += term;
      if (term < sum * 1e-18) break;
    }
    return 1.0 - 2.0 * kInvSqrtPi * exp_basic(-t * t) * sum;
  }
  // Continued fraction erfc(t) = exp(-t^2)/sqrt(pi) * 1/(t + (1/2)/(t + 1/(t + (3/2)/(t + ...)))),
  // evaluated bottom-up; 250 terms leave a relative error below 1e-18 for t >= 1.
  double f = t;
  for (int n = 250; n >= 1; --n) f = t + (0.5 * n) / f;
  return kInvSqrtPi * exp_basic(-t * t) / f;
}

double pdf(double x) {
  if (std::isinf(x)) return 0.0;
  return kInvSqrt2Pi * exp_basic(-0.5 * x * x);
}

}  // namespace

double normal_cdf(double x) {
  if (std::isnan(x)) return x;
  if (x == -INFINITY) return 0.0;
  if (x == INFINITY) return 1.0;
  const double t = (x < 0 ? -x : x) / kSqrt2;
  const double tail = 0.5 * erfc_nonneg(t);
  return x < 0 ? tail : 1.0 - tail;
}

double normal_sf(double x) { return normal_cdf(-x); }

namespace {
// Mass of [alpha, beta], taken from the tail where it is small.
double interval_mass(double alpha, double beta) {
  if (alpha >= 0) return normal_sf(alpha) - normal_sf(beta);
  if (beta <= 0) return normal_cdf(beta) - normal_cdf(alpha);
  return 1.0 - normal_cdf(alpha) - normal_sf(beta);
}
double x_pdf(double x) { return std::isinf(x) ? 0.0 : x * pdf(x); }
}  // namespace

double truncated_normal_std(double alpha, double beta) {
  // Var = 1 + (a phi(a) - b phi(b))/Z - ((phi(a) - phi(b))/Z)^2 (docs/algorithms.md 4.1)
  const double z = interval_mass(alpha, beta);
  const double m = (pdf(alpha) - pdf(beta)) / z;
  const double var = 1.0 + (x_pdf(alpha) - x_pdf(beta)) / z - m * m;
  return std::sqrt(var);
}

namespace {
struct BoundConstants {
  double cdf_alpha, sf_beta, mass, sd;
};

// The bound constants cost a few microseconds (continued fractions); a model
// uses a handful of distinct bounds, so remember them.
BoundConstants bound_constants(double lower, double upper) {
  static std::mutex mutex;
  static std::map<std::pair<double, double>, BoundConstants> cache;
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find({lower, upper});
    if (it != cache.end()) return it->second;
  }
  const BoundConstants c{normal_cdf(lower), normal_sf(upper), interval_mass(lower, upper),
                         truncated_normal_std(lower, upper)};
  std::lock_guard<std::mutex> lock(mutex);
  if (cache.size() >= 256) cache.clear();
  cache[{lower, upper}] = c;
  return c;
}
}  // namespace

TruncatedNormalParams make_truncated_normal(double mean, double std, double lower, double upper,
                                            bool preserve_std) {
  const BoundConstants c = bound_constants(lower, upper);
  TruncatedNormalParams p{};
  p.mean = mean;
  p.alpha = lower;
  p.beta = upper;
  p.cdf_alpha = c.cdf_alpha;
  p.sf_beta = c.sf_beta;
  p.mass = c.mass;
  p.scale = preserve_std ? std / c.sd : std;
  return p;
}

}  // namespace weightinit::random
