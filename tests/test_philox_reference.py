"""Known-answer vectors and reference implementations of the element -> counter mapping.

The reference implementations below are plain numpy (float64) evaluations of
the documented formulas from the raw Philox words, independent of the C++
kernels: they pin the counter layout (docs/design.md contract 1), the uniform
conversion, the Box-Muller pairing and the truncated-normal inverse CDF.
"""

import pathlib

import numpy as np
import pytest
import scipy.special

import weightinit as wi
from weightinit._rng import key_from_seed

DATA = pathlib.Path(__file__).parent / "data" / "philox4x32_kat.txt"


def kat_vectors():
    for line in DATA.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split()
        rounds = int(fields[0])
        words = [int(f, 16) for f in fields[1:]]
        yield rounds, words[:4], words[4:6], words[6:10]


@pytest.mark.parametrize("rounds,counter,key,expected", list(kat_vectors()))
def test_random123_known_answers(rounds, counter, key, expected):
    out = wi.philox4x32(np.array(counter, np.uint32), np.array(key, np.uint32), rounds)
    assert out.dtype == np.uint32
    assert out.tolist() == expected


def test_kat_file_has_all_six_vectors():
    assert len(list(kat_vectors())) == 6


def test_philox_batch_shape():
    c = np.zeros((3, 2, 4), np.uint32)
    c[..., 0] = np.arange(6).reshape(3, 2)
    out = wi.philox4x32(c, np.array([1, 2], np.uint32))
    assert out.shape == (3, 2, 4)
    single = wi.philox4x32(c[1, 1], np.array([1, 2], np.uint32))
    assert out[1, 1].tolist() == single.tolist()


@pytest.mark.parametrize("bad", [np.zeros(3, np.uint32), np.zeros((2, 5), np.uint32)])
def test_philox_rejects_bad_counter(bad):
    with pytest.raises(ValueError, match="counter"):
        wi.philox4x32(bad, np.zeros(2, np.uint32))


def raw_words(seed, stream, first_block, nblocks):
    """Words of blocks [first_block, first_block + nblocks) in the library's layout."""
    b = np.arange(first_block, first_block + nblocks, dtype=np.uint64)
    counter = np.stack(
        [
            (b & 0xFFFFFFFF).astype(np.uint32),
            (b >> np.uint64(32)).astype(np.uint32),
            np.full(nblocks, stream & 0xFFFFFFFF, np.uint32),
            np.full(nblocks, stream >> 32, np.uint32),
        ],
        axis=-1,
    )
    key = key_from_seed(seed)
    return wi.philox4x32(counter, np.array([key & 0xFFFFFFFF, key >> 32], np.uint32))


def words32(seed, stream, first, n):
    """Word for elements [first, first + n) of a 32-bit draw: word e % 4 of block e // 4."""
    b0 = first // 4
    w = raw_words(seed, stream, b0, (first + n + 3) // 4 - b0).reshape(-1)
    return w[first - 4 * b0 : first - 4 * b0 + n]


def words64(seed, stream, first, n):
    """64-bit words of elements [first, first + n): words 2(e%2) (low), 2(e%2)+1 of block e // 2."""
    b0 = first // 2
    w = raw_words(seed, stream, b0, (first + n + 1) // 2 - b0).reshape(-1, 2).astype(np.uint64)
    x = w[:, 0] | (w[:, 1] << np.uint64(32))
    return x[first - 2 * b0 : first - 2 * b0 + n]


SEED, STREAM = 20261125, (7 << 40) + 3


@pytest.mark.parametrize("first", [0, 1, 5, 64, 1001])
def test_uniform_float32_is_top_23_bits(first):
    n = 777
    ours = wi.random.uniform(
        first + n, rng=SEED, stream=STREAM, dtype=np.float32, region=(slice(first, None),)
    )
    ref = (words32(SEED, STREAM, first, n) >> np.uint32(9)).astype(np.float64) * 2.0**-23
    np.testing.assert_array_equal(ours, ref.astype(np.float32))


@pytest.mark.parametrize("first", [0, 1, 3, 33])
def test_uniform_float64_is_top_52_bits(first):
    n = 555
    ours = wi.random.uniform(first + n, rng=SEED, stream=STREAM, region=(slice(first, None),))
    x = words64(SEED, STREAM, first, n)
    ref = (x >> np.uint64(12)).astype(np.float64) * 2.0**-52  # exact: < 2**52
    np.testing.assert_array_equal(ours, ref)


def test_uniform_affine_map_and_clamp():
    n = 4096
    ours = wi.random.uniform(n, -3.0, 5.0, rng=SEED, stream=1)
    u = (words64(SEED, 1, 0, n) >> np.uint64(12)).astype(np.float64) * 2.0**-52
    np.testing.assert_array_equal(ours, np.minimum(-3.0 + 8.0 * u, np.nextafter(5.0, 0)))


def box_muller_reference(x1, x2, mant_bits):
    """Pairs (z1, z2) as documented in kernels.inl.

    u1 from x1's top bits on the open grid (2k+1) 2**-(mant_bits+1). The angle from x2:
    its top bits give r on the odd grid in (-1/8, 1/8) turn, bit 0 swaps (cos, sin) and
    bit 1 negates both.
    """
    t = type(x1[0])
    width = x1.dtype.itemsize * 8
    shift = {32: 9, 64: 12}[width]
    u1 = ((x1 >> t(shift)).astype(np.float64) * 2 + 1) * 2.0 ** -(mant_bits + 1)
    rbits = {32: 23, 64: 51}[width]  # bits of x2 above the unused ones
    rr = ((x2 >> t(width - rbits)) | t(1)).astype(np.float64) - 2.0 ** (rbits - 1)
    r = rr * 2.0 ** -(rbits + 2)
    assert np.all(np.abs(r) < 0.125)
    c, s = np.cos(2 * np.pi * r), np.sin(2 * np.pi * r)
    swap = (x2 & t(1)) != 0
    c, s = np.where(swap, s, c), np.where(swap, c, s)
    rho = np.sqrt(-2.0 * np.log(u1)) * np.where((x2 & t(2)) != 0, -1.0, 1.0)
    return rho * c, rho * s


def test_normal_float32_pairs_elements_2t_2t_plus_1():
    n = 4000
    ours = wi.random.normal(n, rng=SEED, stream=STREAM, dtype=np.float32)
    w = words32(SEED, STREAM, 0, n)
    z1, z2 = box_muller_reference(w[0::2], w[1::2], 23)
    ref = np.empty(n)
    ref[0::2], ref[1::2] = z1, z2
    # float32 arithmetic: a few ulp of |z| (observed < 4e-7 * max(1, |z|)).
    np.testing.assert_allclose(ours, ref, rtol=2e-6, atol=2e-6)


def test_normal_float64_pairs_elements_2t_2t_plus_1():
    n = 4000
    ours = wi.random.normal(n, 1.5, 2.0, rng=SEED, stream=STREAM)
    x = words64(SEED, STREAM, 0, n)
    z1, z2 = box_muller_reference(x[0::2], x[1::2], 52)
    ref = np.empty(n)
    ref[0::2], ref[1::2] = z1, z2
    # Observed: within 9e-16 of the float64 reference for |z| up to 5 (200k draws).
    np.testing.assert_allclose(ours, 1.5 + 2.0 * ref, rtol=1e-15, atol=4e-15)


@pytest.mark.parametrize("lower,upper", [(-2.0, 2.0), (-1.0, 3.0), (0.5, 4.0), (-np.inf, 0.0)])
def test_truncated_normal_is_inverse_cdf(lower, upper):
    n = 3000
    x = words64(SEED, STREAM, 0, n)
    u = ((x >> np.uint64(12)).astype(np.float64) * 2 + 1) * 2.0**-53
    pa, pb = scipy.special.ndtr(lower), scipy.special.ndtr(upper)
    ref = np.clip(scipy.special.ndtri(pa + u * (pb - pa)), lower, upper)
    ours = wi.random.truncated_normal(n, 0.0, 1.0, lower, upper, rng=SEED, stream=STREAM)
    # Near the upper end, pa + u (pb - pa) in float64 itself loses digits; ours
    # works from both tails, so compare with a tolerance that covers the reference.
    np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-9)
    ours32 = wi.random.truncated_normal(
        n, 0.0, 1.0, lower, upper, rng=SEED, stream=STREAM, dtype=np.float32
    )
    w = words32(SEED, STREAM, 0, n)
    u32 = ((w >> np.uint32(9)).astype(np.float64) * 2 + 1) * 2.0**-24
    ref32 = np.clip(scipy.special.ndtri(pa + u32 * (pb - pa)), lower, upper)
    np.testing.assert_allclose(ours32, ref32, rtol=0, atol=2e-5)


def test_normal_cdf_matches_scipy():
    x = np.concatenate([np.linspace(-12, 12, 2001), [-30.0, -20.0, 0.0, 1e-8, 8.2]])
    ours = np.array([wi._core.normal_cdf(v) for v in x])
    # Relative error grows like 2 t^2 eps from rounding t = |x|/sqrt(2) (1.7e-13 at x = -30);
    # both are within that of the exact value (checked with mpmath).
    np.testing.assert_allclose(ours, scipy.special.ndtr(x), rtol=3e-13, atol=0)


@pytest.mark.parametrize(
    "a,b", [(-2, 2), (-1, 1), (-3, 0.5), (0, np.inf), (1, 5), (-np.inf, np.inf)]
)
def test_truncated_std_matches_scipy(a, b):
    import scipy.stats

    assert wi._core.truncated_normal_std(a, b) == pytest.approx(
        scipy.stats.truncnorm(a, b).std(), rel=1e-12
    )


def test_keras_jax_truncation_constant():
    # Keras and JAX divide by 0.87962566103423978, the std of N(0,1) truncated to +-2.
    assert wi._core.truncated_normal_std(-2.0, 2.0) == pytest.approx(0.87962566103423978, abs=2e-16)
