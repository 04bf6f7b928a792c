"""Distributions against scipy.stats.

Each KS test uses a fixed seed and a significance level alpha: for a correct
sampler, the probability over seeds that a given test fails is alpha, so the
suite's false-failure rate is at most (number of tests at alpha) * alpha = 36 * 1e-6.
With fixed seeds the outcome is deterministic, so a pass is stable.
Moment checks use tolerances of 6 standard errors computed from n
(false-failure rate < 2e-9 each under the CLT).
"""

import numpy as np
import pytest
import scipy.stats

import weightinit as wi

ALPHA = 1e-6
N = 200_000


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("low,high", [(0.0, 1.0), (-0.05, 0.05), (3.0, 7.5)])
def test_uniform_ks(dtype, low, high):
    x = wi.random.uniform(N, low, high, rng=1, dtype=dtype).astype(np.float64)
    assert x.min() >= low and x.max() < high
    assert scipy.stats.kstest(x, scipy.stats.uniform(low, high - low).cdf).pvalue > ALPHA


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mean,std", [(0.0, 1.0), (0.5, 0.01), (-2.0, 3.0)])
def test_normal_ks(dtype, mean, std):
    x = wi.random.normal(N, mean, std, rng=2, dtype=dtype).astype(np.float64)
    assert scipy.stats.kstest(x, scipy.stats.norm(mean, std).cdf).pvalue > ALPHA


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lower,upper", [(-2.0, 2.0), (-1.0, 0.5), (1.0, 4.0), (-3.0, np.inf)])
@pytest.mark.parametrize("preserve_std", [False, True])
def test_truncated_normal_ks(dtype, lower, upper, preserve_std):
    mean, std = 0.3, 1.7
    x = wi.random.truncated_normal(
        N, mean, std, lower, upper, preserve_std, rng=3, dtype=dtype
    ).astype(np.float64)
    scale = std / wi._core.truncated_normal_std(lower, upper) if preserve_std else std
    ref = scipy.stats.truncnorm(lower, upper, loc=mean, scale=scale)
    assert x.min() >= mean + scale * lower - 1e-5 * scale
    assert x.max() <= mean + scale * upper + 1e-5 * scale
    assert scipy.stats.kstest(x, ref.cdf).pvalue > ALPHA


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_preserve_std_gives_requested_std(dtype):
    std = 0.05
    x = wi.random.truncated_normal(N, 0.0, std, preserve_std=True, rng=4, dtype=dtype)
    # Standard error of the sample std of a bounded variable ~ std * sqrt((kurt - 1) / (4 n)).
    kurt = scipy.stats.truncnorm(-2, 2).stats(moments="k") + 3
    se = std * np.sqrt((kurt - 1) / (4 * N))
    assert abs(x.astype(np.float64).std() - std) < 6 * se


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_moments(dtype):
    x = wi.random.normal(N, 1.0, 2.0, rng=5, dtype=dtype).astype(np.float64)
    assert abs(x.mean() - 1.0) < 6 * 2.0 / np.sqrt(N)
    assert abs(x.var() - 4.0) < 6 * 4.0 * np.sqrt(2.0 / N)
    assert abs(scipy.stats.skew(x)) < 6 * np.sqrt(6.0 / N)
    assert abs(scipy.stats.kurtosis(x)) < 6 * np.sqrt(24.0 / N)


def test_float16_uniform_never_returns_high():
    # 0.1 is not a float16; values that would round to float16(0.1) >= 0.1 are clamped below it.
    x = wi.random.uniform(N, -0.1, 0.1, rng=6, dtype=np.float16)
    assert float(x.max()) < 0.1  # compare exactly, not after rounding 0.1 to float16
    assert x.min() >= np.float16(-0.1)


def test_pairs_are_uncorrelated():
    # Box-Muller pairs (2t, 2t+1): the two outputs of a pair are independent N(0,1).
    x = wi.random.normal(2 * N, rng=7)
    r = np.corrcoef(x[0::2], x[1::2])[0, 1]
    assert abs(r) < 6 / np.sqrt(N)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_pairs_have_uniform_angle_and_chi2_radius(dtype):
    # A pair (z1, z2) = rho (cos, sin)(theta): theta uniform on the circle and
    # rho^2 ~ chi-square(2), independently. The angle is built from a sector
    # of a quarter turn and two bits (kernels.inl); a wrong bit or sector
    # boundary leaves the marginals close to normal but fails here.
    x = wi.random.normal(2 * N, rng=10, dtype=dtype).astype(np.float64)
    z1, z2 = x[0::2], x[1::2]
    theta = np.arctan2(z2, z1)
    assert scipy.stats.kstest(theta, scipy.stats.uniform(-np.pi, 2 * np.pi).cdf).pvalue > ALPHA
    # Quarter-turn sectors and the eighth-turn boundaries inside them.
    eighth = np.floor((theta + np.pi) / (np.pi / 4)).astype(int)
    counts = np.bincount(np.clip(eighth, 0, 7), minlength=8)
    assert scipy.stats.chisquare(counts).pvalue > ALPHA
    r2 = z1**2 + z2**2
    assert scipy.stats.kstest(r2, scipy.stats.chi2(2).cdf).pvalue > ALPHA
    # Angle and radius independent: the radius law is the same in every quarter.
    quarter = np.clip(eighth // 2, 0, 3)
    assert scipy.stats.kruskal(*[r2[quarter == q] for q in range(4)]).pvalue > ALPHA


def test_streams_are_uncorrelated():
    a = wi.random.normal(N, rng=8, stream=0)
    b = wi.random.normal(N, rng=8, stream=1)
    c = wi.random.normal(N, rng=9, stream=0)
    assert abs(np.corrcoef(a, b)[0, 1]) < 6 / np.sqrt(N)
    assert abs(np.corrcoef(a, c)[0, 1]) < 6 / np.sqrt(N)
