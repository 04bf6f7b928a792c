"""What the test files share: the initializer registry and the hypothesis strategies.

``INITIALIZERS`` holds every class ``weightinit.get`` knows, with its
defaults (the composable ``Glorot``/``He`` with an initializer class), plus
the configurations that take other code paths (layouts, explicit axes,
groups, exact non-zero counts, asymmetric bounds); ``test_registry_covers_every_class``
in test_initializers.py fails when a new class is not listed here.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

import weightinit as wi
from weightinit.lookup import _classes

DTYPES = (np.float16, np.float32, np.float64)
DTYPE_NAMES = ("float16", "float32", "float64")

# Classes that need constructor arguments: the configurations they are tested with.
_COMPOSED = {
    "Glorot": [wi.Glorot(wi.Normal, 2.0), wi.Glorot(wi.Uniform, gain="relu")],
    "He": [wi.He(wi.Uniform, "tanh"), wi.He(wi.Normal, mode="fan_out")],
}

# Non-default configurations that take other code paths.
VARIANTS = [
    wi.Constant(0.5),
    wi.Normal(std=0.5, mean=0.25),
    wi.Uniform((-1.0, 3.0)),
    wi.TruncatedNormal(std=1.0, lower=-0.5, upper=3.0),
    wi.TruncatedNormal(std=0.5, preserve_std=True),
    wi.GlorotUniform(gain="relu", layout="torch"),
    wi.GlorotNormal(layout="keras"),
    wi.HeNormal(gain="relu", mode="fan_out"),
    wi.HeNormal(gain="relu", layout="torch"),
    wi.HeUniform(c01b=False),
    wi.VarianceScaling(2.0, "fan_geo_avg", "uniform", in_axis=0, out_axis=1),
    wi.VarianceScaling(2.0, "fan_avg", "uniform", layout="keras"),
    wi.LeCunUniform(layout="keras"),
    wi.LeCunNormal(layout="jax"),
    wi.FanInUniform(layout="torch"),
    wi.Dirac(groups=2),
    wi.Sparse(0.3, 0.1),
    wi.Sparse(sparsity=0.3, layout="torch"),
    wi.Sparse(nonzeros=2),
    wi.Orthogonal(layout="keras"),
    wi.Orthogonal(gain=2.0, column_axis=1),
    wi.DeltaOrthogonal(layout="keras"),
    # issue 14: array constants, Keras' fan axes, torch's sparse_, the new kernels
    wi.Constant(np.array([0.25])),
    wi.VarianceScaling(2.0, "fan_avg", "uniform", input_axes=[0], output_axes=[1]),
    wi.UniformScaling(0.5, layout="jax"),
    wi.Identity(2.0, batched=True),
    wi.TorchSparse(0.3, std=0.1),
    wi.ConvolutionOrthogonal1D(gain=2.0, layout="keras"),
    wi.ZerO(layout="torch"),
    wi.Hadamard(gain=0.5),
    wi.STFT("imag", window=None, scaling=None),
    wi.STFT(window="hamming", scaling="spectrum", periodic=True),
]


def _registry() -> list[wi.Initializer]:
    out: list[wi.Initializer] = []
    for name, cls in sorted(_classes().items()):
        out += _COMPOSED[name] if name in _COMPOSED else [cls()]
    return out + VARIANTS


#: Every registered class (defaults, or the configurations above) and every variant.
INITIALIZERS = _registry()


def ids(inits: list[wi.Initializer]) -> list[str]:
    """pytest ids: the reprs."""
    return [repr(i) for i in inits]


# --- hypothesis strategies -------------------------------------------------------

dtypes = st.sampled_from(DTYPES)
dtype_names = st.sampled_from(DTYPE_NAMES)
#: Seeds of any size (more than 64 bits exercises the multi-limb key derivation).
seeds = st.integers(0, 2**70)
#: Stream ids and stream names.
streams = st.one_of(st.integers(0, 2**64 - 1), st.text(max_size=12))
initializers = st.sampled_from(INITIALIZERS)


def shapes(min_rank: int = 0, max_rank: int = 4, min_side: int = 0, max_side: int = 12):
    """Shapes as tuples of ints."""
    return st.lists(st.integers(min_side, max_side), min_size=min_rank, max_size=max_rank).map(
        tuple
    )


@st.composite
def shape_and_region(draw, min_rank=0, max_rank=5, min_side=0, max_side=9):
    """A shape and a region of it: slices of step 1 and ints (negative ones included)."""
    shape = draw(shapes(min_rank, max_rank, min_side, max_side))
    region = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "slice", "int"] if n else ["slice"]))
        if kind == "int":
            region.append(draw(st.integers(-n, n - 1)))
        else:
            lo = draw(st.integers(0, n))
            hi = draw(st.integers(lo, n))
            region.append(slice(lo, hi))
    return shape, tuple(region)


@st.composite
def shape_and_chunks(draw, max_rank=4, max_side=11):
    """A shape and an explicit Dask chunking of it (chunk sizes per axis)."""
    shape = draw(shapes(0, max_rank, 0, max_side))
    chunks = []
    for n in shape:
        sizes = []
        left = n
        while left > 0:
            c = draw(st.integers(1, left))
            sizes.append(c)
            left -= c
        chunks.append(tuple(sizes) if sizes else (0,))
    return shape, tuple(chunks)


@st.composite
def strided_view(draw, max_rank=3, max_side=12):
    """(shape, steps, axis order) of a stepped, transposed view (see test_reproducibility)."""
    shape = draw(shapes(1, max_rank, 1, max_side))
    steps = [draw(st.sampled_from([1, 2, 3, -1, -2])) for _ in shape]
    order = draw(st.permutations(range(len(shape))))
    return shape, steps, list(order)
