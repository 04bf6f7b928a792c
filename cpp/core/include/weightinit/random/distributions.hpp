// Parameters of the element-wise distributions, prepared once per call in
// double precision and converted to the output precision by the kernels.
#pragma once

#include <cstdint>

namespace weightinit::random {

// Python passes these as weightinit._core.Distribution (register_random.cpp).
enum class Distribution : int { uniform = 0, normal = 1, truncated_normal = 2 };

struct UniformParams {
  double low;   // first value of the interval
  double high;  // excluded upper end
};

struct NormalParams {
  double mean;
  double std;
};

// Truncated normal by exact inverse-CDF sampling on [Phi(alpha), Phi(beta)]:
// value = mean + scale * z, z in [alpha, beta]. Both the lower and the upper
// tail probabilities are kept so that either tail keeps full precision.
struct TruncatedNormalParams {
  double mean;
  double scale;      // std, or std / sd(truncated standard normal) with preserve_std
  double alpha;      // lower bound in units of the untruncated std
  double beta;       // upper bound
  double cdf_alpha;  // Phi(alpha)
  double sf_beta;    // 1 - Phi(beta)
  double mass;       // Phi(beta) - Phi(alpha), computed in the accurate tail
};

struct DistParams {
  Distribution kind;
  UniformParams uniform;
  NormalParams normal;
  TruncatedNormalParams truncated;
};

// Standard normal CDF and survival function in double precision from basic
// IEEE operations only (no libm), so parameters are the same on every machine.
double normal_cdf(double x);
double normal_sf(double x);

// Standard deviation of a standard normal truncated to [alpha, beta];
// 0.87962566103423978 at +-2 (the constant Keras and JAX use).
double truncated_normal_std(double alpha, double beta);

// Fill in the derived fields from (mean, std, lower, upper, preserve_std).
TruncatedNormalParams make_truncated_normal(double mean, double std, double lower, double upper,
                                            bool preserve_std);

}  // namespace weightinit::random
