"""Hypothesis strategies: one probe ``(family, args)`` per draw.

Most probes start from a valid call and replace *one* argument with a hostile
value (``args["_names"]`` names it, so a clear error must name it too): wrong
types, huge, negative and NaN numbers, booleans, unicode (lone surrogates
included), empty and overflowing shapes, zero-step and boolean regions, odd
strides and overlapping ``out=`` arrays. Some draw valid but extreme values
(parameters near the dtype's limits) to look for silently wrong results. The
scenario families (concurrency, signals, memory limits) draw their settings.

Shapes whose product is between about 2**17 and 2**61 elements never appear
where a call would accept them: the suite must not write gigabytes.
"""

from __future__ import annotations

import inspect
import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
from hypothesis import strategies as st

import weightinit as wi
from weightinit.lookup import _classes

from .probes import OUT_LAYOUTS, out_spec

INF, NAN = math.inf, math.nan
BIG_INTS = [2**31, 2**62, 2**63, 2**64, 2**70, 2**1024, -(2**63), -(2**1024)]
HOSTILE_NUMBERS = [
    0, 1, -1, 0.5, -0.0, 5e-324, 1e-300, -1e-300, 65504.0, 1e5, -1e5, 2e38, -2e38, 1e300,
    -1e300, 1.7976931348623157e308, INF, -INF, NAN, *BIG_INTS, True, False, None, "1", "nan",
    b"1", 1j, [1.0], (1.0, 2.0), (), np.float32(NAN), np.float16(1.5), np.int64(3),
    np.array(2.0), np.array([1.0, 2.0]), Fraction(1, 3), Decimal("1.5"), Decimal("NaN"),
]  # fmt: skip
HOSTILE_STRINGS = ["", " ", "\x00", "\ud800", "é", "ℝ", "😀", "a" * 300, "None", "1e3", "-1"]
HOSTILE_OBJECTS = [None, True, 1.5, object, b"x", [], {}, (1,), 2**70, -1, NAN]

numbers = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(2**70), 2**70),
)
strings = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=8))
# Dimension sizes: small ones (accepted, cheap) and ones no call may accept unless
# another dimension is 0 (more than 2**62 elements in all, or negative).
small_dims = st.sampled_from([0, 1, 2, 3, 5, 7, 16])
huge_dims = st.sampled_from([-1, -(2**63), 2**62, 2**63, 2**64, 2**70])
odd_dims = st.sampled_from([True, False, 1.5, NAN, "3", None, np.int64(3), np.uint8(2), (2,)])
shapes_small = st.lists(small_dims, min_size=0, max_size=4).map(tuple)
hostile_shapes = st.one_of(
    shapes_small,
    st.builds(lambda a, b: (0, b) if a else (b, 0), st.booleans(), huge_dims),
    st.lists(st.one_of(small_dims, huge_dims, odd_dims), min_size=1, max_size=4).map(tuple),
    st.sampled_from([None, "3x4", 3.0, (), [3, 4], ((3,),), (2**31, 2**31), np.array([2, 3])]),
    st.one_of(small_dims, huge_dims),
)
float_dtypes = st.sampled_from(["float16", "float32", "float64"])
dtypes = st.one_of(
    float_dtypes,
    st.sampled_from(
        [np.float32, "f4", ">f8", "<f2", "int32", "bfloat16", "longdouble", "complex64", "bool",
         None, 32, "", "float32\ud800", object, "V8", "float", float, np.dtype("f8")]
    ),
)  # fmt: skip
rngs = st.one_of(
    st.integers(0, 2**70),
    st.sampled_from([-1, -(2**63), True, 1.5, NAN, "0", None, np.int64(5), np.uint64(2**64 - 1)]),
)
streams = st.one_of(
    st.integers(-(2**65), 2**65),
    strings,
    st.sampled_from([None, 1.5, True, b"x", ["a"], NAN, np.int64(-1)]),
)
slice_parts = st.one_of(st.none(), st.integers(-8, 8), st.sampled_from([2**70, -(2**70), True]))
region_items = st.one_of(
    st.builds(slice, slice_parts, slice_parts, slice_parts),
    st.integers(-8, 8),
    st.sampled_from(
        [True, False, np.bool_(True), Ellipsis, None, 2**70, [0, 1], "0", 1.5,
         slice(0.5, 2), slice("a"), np.int64(1)]
    ),
)  # fmt: skip
regions = st.one_of(region_items, st.lists(region_items, min_size=0, max_size=5).map(tuple))
outs = st.builds(
    out_spec,
    st.lists(st.sampled_from([0, 1, 2, 3, 6]), min_size=0, max_size=3).map(tuple),
    float_dtypes,
    st.sampled_from(OUT_LAYOUTS),
)

# --- every public initializer, and what its constructor takes --------------------

CLASSES = sorted(_classes())
COMPOSED = {"Glorot": {"initializer": "Normal"}, "He": {"initializer": "Uniform"}}
CONV = {"Dirac", "DeltaOrthogonal"}


def base_shape(name: str) -> tuple[int, ...]:
    return (4, 4, 3) if name in CONV else (6, 5)


def valid_inits() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    return st.sampled_from([(n, dict(COMPOSED.get(n, {}))) for n in CLASSES])


def _parameters(name: str) -> list[str]:
    return list(inspect.signature(getattr(wi, name)).parameters)


CTOR_VALUES = st.one_of(
    numbers,
    strings,
    st.sampled_from(
        ["relu", "leaky_relu", ("leaky_relu", 0.2), ("leaky_relu", NAN), ("relu", 1), "torch",
         "keras", "jax", "lasagne", "c01b", "fan_in", "fan_avg", "uniform", "normal",
         "truncated_normal", (0, 1), (1, 0), (-1, -2), (0, 0, 0), (NAN, 1.0), 0, -3, 9, 2**40]
    ),
)  # fmt: skip


@st.composite
def ctor_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(CLASSES))
    params = _parameters(name)
    kwargs = dict(COMPOSED.get(name, {}))
    if not params:
        return "initializer", {"init": (name, kwargs), "shape": base_shape(name), "_names": []}
    arg = draw(st.sampled_from(params))
    kwargs[arg] = draw(CTOR_VALUES)
    return "initializer", {"init": (name, kwargs), "shape": base_shape(name), "_names": [arg]}


# --- families -----------------------------------------------------------------------

RANDOM_PARAMS = {
    "uniform": {"low": -1.0, "high": 1.0},
    "normal": {"mean": 0.0, "std": 1.0},
    "truncated_normal": {"mean": 0.0, "std": 1.0, "lower": -2.0, "upper": 2.0},
}
EXTREME = st.one_of(
    st.sampled_from([0.0, -0.0, 5e-324, 1e-300, 1e-45, 65504.0, 1e5, 2e38, 3.4e38, 1e300, 1e308]),
    st.floats(-1e308, 1e308, allow_nan=False, allow_infinity=False),
    st.floats(-20, 20),
)


@st.composite
def random_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    fn = draw(st.sampled_from(sorted(RANDOM_PARAMS)))
    params = dict(RANDOM_PARAMS[fn])
    args: dict[str, Any] = {"fn": fn, "shape": (5, 6), "dtype": "float32", "rng": 7}
    arg = draw(st.sampled_from([*params, "range", "shape", "dtype", "rng", "stream", "region",
                                "out"]))  # fmt: skip
    if arg == "range":  # valid but extreme parameters, every dtype: silent-wrong hunting
        names = list(params)
        for k in params:
            params[k] = draw(EXTREME.map(lambda v: -v) if k == "lower" else EXTREME)
        if fn == "truncated_normal":
            params["lower"], params["upper"] = draw(
                st.sampled_from([(-2.0, 2.0), (8.0, 9.0), (6.0, 7.0), (-9.0, -8.0), (7.5, 11.25)])
            )
        args["dtype"] = draw(float_dtypes)
        args["shape"] = (256,)
        args["_names"] = names
    elif arg in params:
        params[arg] = draw(numbers)
        args["_names"] = [arg]
    elif arg == "out":
        args["out"] = draw(outs)
        args["shape"] = None
        args.pop("dtype")
        args["_names"] = ["out"]
    else:
        args[arg] = draw(
            {"shape": hostile_shapes, "dtype": dtypes, "rng": rngs, "stream": streams,
             "region": regions}[arg]
        )  # fmt: skip
        args["_names"] = [arg, "size"] if arg == "shape" else [arg]
    args["params"] = params
    return "random", args


@st.composite
def sample_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    init = draw(valid_inits())
    args: dict[str, Any] = {"init": init, "shape": base_shape(init[0]), "dtype": "float32",
                            "rng": 3}  # fmt: skip
    arg = draw(st.sampled_from(["shape", "dtype", "rng", "stream", "region"]))
    args[arg] = draw(
        {"shape": hostile_shapes, "dtype": dtypes, "rng": rngs, "stream": streams,
         "region": regions}[arg]
    )  # fmt: skip
    args["_names"] = [arg]
    return "sample", args


@st.composite
def fill_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    init = draw(valid_inits())
    shape = base_shape(init[0])
    args: dict[str, Any] = {"init": init, "out": out_spec(shape, "float32", "c"), "rng": 3}
    arg = draw(st.sampled_from(["out", "out", "rng", "stream", "offset", "region"]))
    if arg == "out":
        layout = draw(st.sampled_from(OUT_LAYOUTS))
        args["out"] = out_spec(shape, draw(float_dtypes), layout)
    elif arg == "offset":
        args["out"] = out_spec((2, *shape[1:]), "float32", "c")
        args["shape"] = shape
        args["offset"] = draw(st.one_of(hostile_shapes, st.sampled_from([(1, 0, 0)[: len(shape)]])))
    elif arg == "region":
        args["shape"] = shape
        region = draw(regions)
        args["region"] = region
        from .probes import numpy_region_shape

        needed = numpy_region_shape(shape, region)
        if needed is not None and len(needed) <= 4:
            args["out"] = out_spec(needed, "float32", "c")
    else:
        args[arg] = draw({"rng": rngs, "stream": streams}[arg])
    args["_names"] = [arg]
    return "fill", args


IDENTIFIERS = st.one_of(
    st.sampled_from(wi.lookup.names()),
    st.sampled_from(CLASSES),
    strings,
    st.sampled_from(["glorot", "Glorot", "he", "GLOROT_UNIFORM", "glorot-uniform", "orthogonal "]),
    st.fixed_dictionaries(
        {
            "class_name": st.one_of(st.sampled_from(CLASSES), strings, st.sampled_from([None, 1])),
            "config": st.one_of(
                st.sampled_from([None, {}, [], 5, {"nope": 1}]),
                st.dictionaries(
                    st.sampled_from(
                        ["std", "gain", "mean", "range", "layout", "sparsity", "initializer", "val"]
                    ),
                    CTOR_VALUES,
                    max_size=2,
                ),
            ),  # fmt: skip
        }
    ),
    st.sampled_from([("class", "Normal"), 3, 1.5, [], (), b"normal", NAN]),
)


@st.composite
def lookup_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    ident = draw(IDENTIFIERS)
    return "lookup", {"identifier": ident, "_names": ["identifier", "initializer", "class_name",
                                                      "config", "name"]}  # fmt: skip


AXES = st.one_of(
    st.integers(-6, 6),
    st.lists(st.integers(-6, 6), max_size=3).map(tuple),
    st.sampled_from([True, 2**70, 1.5, "0", None, [0, 0], ()]),
)


@st.composite
def fans_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    args: dict[str, Any] = {"shape": (4, 3, 2, 2)}
    arg = draw(st.sampled_from(["shape", "layout", "c01b", "in_axis", "out_axis", "batch_axis"]))
    args[arg] = draw(
        {
            "shape": hostile_shapes,
            "layout": st.one_of(st.sampled_from(["torch", "keras", "jax", "c01b", "lasagne"]),
                                strings, st.sampled_from([None, 1])),
            "c01b": st.sampled_from([True, False, 1, "yes", None, NAN]),
        }.get(arg, AXES)
    )  # fmt: skip
    args["_names"] = [arg]
    return "fans", args


@st.composite
def gains_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    valid = ["linear", "conv2d", "sigmoid", "tanh", "relu", "leaky_relu", "selu"]
    if draw(st.booleans()):
        return "gains", {"nonlinearity": draw(st.one_of(st.sampled_from(valid), strings,
                                                        st.sampled_from([None, 1, b"relu"]))),
                         "_names": ["nonlinearity"]}  # fmt: skip
    # leaky_relu's param is its negative slope, and the message may call it that.
    return "gains", {"nonlinearity": draw(st.sampled_from(valid)), "param": draw(numbers),
                     "_names": ["param", "negative_slope"]}  # fmt: skip


matrices = st.one_of(
    st.builds(
        lambda shape, dtype, content: ("matrix", shape, dtype, content),
        st.sampled_from(
            [
                (5, 3),
                (3, 5),
                (4, 4),
                (1, 1),
                (0, 0),
                (0, 3),
                (3, 0),
                (2, 4, 3),
                (0, 4, 3),
                (6,),
                (),
                (2, 0, 3),
            ]
        ),
        st.sampled_from(["float64", "float32", "float16", "int32", "complex128", "bool"]),
        st.sampled_from(["normal", "nan", "inf", "zeros", "huge"]),
    ),  # fmt: skip
    st.sampled_from([None, "x", [[1.0, 2.0], [3.0, 4.0]], 3.0, [[1.0], [2.0, 3.0]]]),
)


@st.composite
def qr_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    if draw(st.booleans()):
        return "linalg.qr", {"a": draw(matrices), "_names": ["a"]}
    return "linalg.qr", {
        "a": ("matrix", (5, 3), "float64", "normal"),
        "mode": draw(st.one_of(st.sampled_from(["reduced", "complete", "r", "raw", "full"]),
                               strings, st.sampled_from([None, 1]))),
        "_names": ["mode"],
    }  # fmt: skip


@st.composite
def orthogonalize_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    if draw(st.booleans()):
        return "linalg.orthogonalize", {"w": draw(matrices), "_names": ["w"]}
    return "linalg.orthogonalize", {
        "w": ("matrix", (3, 4, 2), "float64", "normal"),
        "column_axis": draw(AXES),
        "_names": ["column_axis"],
    }


@st.composite
def orthogonal_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    args: dict[str, Any] = {"rows": 7, "cols": 5, "rng": 2}
    arg = draw(st.sampled_from(["rows", "cols", "dtype", "rng", "stream", "gain", "columns"]))
    dims = st.one_of(small_dims, huge_dims, odd_dims)
    args[arg] = draw(
        {
            "rows": dims,
            "cols": dims,
            "dtype": dtypes,
            "rng": rngs,
            "stream": streams,
            "gain": st.one_of(numbers, strings, st.sampled_from(["relu", ("leaky_relu", 0.1)])),
            "columns": st.one_of(regions, st.sampled_from([3, slice(1, 4), slice(0, 9, 2)])),
        }[arg]
    )
    args["_names"] = [arg]
    return "linalg.orthogonal", args


@st.composite
def save_npy_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    args: dict[str, Any] = {"rng": 4}
    arg = draw(st.sampled_from(["path", "init", "shape", "dtype", "rng", "stream", "chunk_bytes"]))
    args[arg] = draw(
        {
            "path": st.sampled_from(["w.npy", "é ℝ.npy", "missing/w.npy", ".", "a" * 300,
                                     "w\x00.npy", 3, None, b"w.npy"]),
            "init": IDENTIFIERS,
            "shape": hostile_shapes,
            "dtype": dtypes,
            "rng": rngs,
            "stream": streams,
            "chunk_bytes": st.one_of(
                st.sampled_from([1, 7, 4096, 0, -1, 2**70, 1.5, True, None, "4096", NAN]),
                st.integers(1, 1 << 20),
            ),
        }[arg]
    )  # fmt: skip
    args["_names"] = [arg, "init"] if arg == "init" else [arg]
    if arg == "path":
        args["_names"] = ["path", str(args["path"])]
    return "save_npy", args


CLI_BASE = ["sample", "normal", "5x7", "--out", "w.npy", "--seed", "1", "--no-progress"]
CLI_VALUES = {
    1: st.one_of(st.sampled_from(["orthogonal", "glorot", "nope", "He", "sparse"]), strings),
    2: st.one_of(
        st.sampled_from(["0", "-1", "3x", "x", "1e3", "4x4x", "９", "3x4611686018427387904",
                         "0x4611686018427387904", "2147483648x2147483648", "5×7", "5,,7", ""]),
        strings,
    ),
    4: st.sampled_from(["", "{dir}", "missing/w.npy", "é.npy", "-"]),
    6: st.one_of(st.sampled_from(["-1", "1e3", "٣", "18446744073709551616", "0x10", "nan"]),
                 strings),
}  # fmt: skip
CLI_FLAGS = {
    "--dtype": st.one_of(st.sampled_from(["float16", "float64", "int8", "bfloat16"]), strings),
    "--stream": st.one_of(st.sampled_from(["-1", "18446744073709551616", "layer.w", "é"]), strings),
    "--gain": st.sampled_from(["relu", "leaky_relu:abc", "leaky_relu:0.2", "nan", "inf", "1e400",
                               "-1", "foo", "tanh:1"]),
    "--layout": st.sampled_from(["torch", "keras", "c01b", "bad", ""]),
    "--chunk-mib": st.sampled_from(["0", "-1", "nan", "inf", "1e-9", "1e30", "x", "0.0001"]),
}  # fmt: skip


@st.composite
def cli_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    argv = list(CLI_BASE)
    if draw(st.booleans()):
        position = draw(st.sampled_from(sorted(CLI_VALUES)))
        argv[position] = draw(CLI_VALUES[position])
        name = {1: "NAME", 2: "SHAPE", 4: "--out", 6: "--seed"}[position]
    else:
        name = draw(st.sampled_from(sorted(CLI_FLAGS)))
        argv += [name, draw(CLI_FLAGS[name])]
    return "cli", {"argv": argv, "_names": [name]}


@st.composite
def dask_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    args: dict[str, Any] = {"rng": 6}
    arg = draw(st.sampled_from(["chunks", "chunks", "shape", "dtype", "rng", "stream", "init"]))
    chunk_values = st.one_of(
        st.integers(-2, 12),
        st.lists(st.integers(-1, 10), min_size=1, max_size=3).map(tuple),
        st.sampled_from(["auto", "1 MiB", "bad", None, True, 2**70, NAN, {0: 2}, {5: 1},
                         ((3, 3, 3), (7,)), ((4, 4), (7,)), ((9,), (0, 7)), (-1, 3), 1.5]),
    )  # fmt: skip
    args[arg] = draw(
        {
            "chunks": chunk_values,
            "shape": hostile_shapes,
            "dtype": dtypes,
            "rng": rngs,
            "stream": streams,
            "init": IDENTIFIERS,
        }[arg]
    )
    args["_names"] = [arg, "init"] if arg == "init" else [arg]
    return "dask", args


@st.composite
def runtime_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    arg = draw(st.sampled_from(["num_threads", "isa", "counter", "key", "rounds"]))
    args: dict[str, Any] = {}
    if arg == "num_threads":
        args[arg] = draw(st.one_of(st.integers(-2, 64), st.sampled_from(
            [1024, 2**31, 2**63, 1.5, True, None, "2", NAN, np.int64(2)])))  # fmt: skip
        args["_names"] = ["num_threads", "n"]
    elif arg == "isa":
        args[arg] = draw(st.one_of(st.sampled_from(["scalar", "avx2", "avx512", "AVX2", "sse"]),
                                   strings, st.sampled_from([None, 3])))  # fmt: skip
        args["_names"] = ["isa", "name", "instruction set"]
    else:
        args["counter"] = [[1, 2, 3, 4]]
        value = draw(st.one_of(
            st.sampled_from([[0, 0, 0], [[2**32, 0, 0, 0]], [[-1, 0, 0, 0]], "x", None, [],
                             [[1.5, 0, 0, 0]], [0, 0], [0], [2**32, 0], -1, 0, 1, 2**31, 7, 10,
                             True, 1.5]),
        ))  # fmt: skip
        args[arg] = value
        args["_names"] = [arg]
    return "runtime", args


@st.composite
def concurrent_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    init = draw(st.sampled_from([("Orthogonal", {}), ("GlorotUniform", {}),
                                 ("TruncatedNormal", {}), ("Sparse", {})]))  # fmt: skip
    return "concurrent", {
        "init": init,
        "mode": draw(st.sampled_from(["simd", "threads", "shared_out"])),
        "threads": draw(st.integers(2, 8)),
        "shape": draw(st.sampled_from([(256, 128), (128, 256), (300, 200)])),
        "dtype": draw(float_dtypes),
        "rounds": draw(st.integers(2, 6)),
        "_names": [],
    }


@st.composite
def memlimit_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    op = draw(st.sampled_from(
        ["orthogonal1024", "orthogonal1537", "orthogonal2048", "qr1024", "qr2048", "threads64",
         "threads1024", "uniform134217728"]
    ))  # fmt: skip
    return "memlimit", {
        "op": op,
        "headroom": draw(st.sampled_from([8, 16, 28, 48, 96, 160])),
        "warm": draw(st.booleans()),
        "_names": [],
    }


@st.composite
def signal_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    return "signal", {
        "kind": draw(st.sampled_from(["npy", "cli"])),
        "signal": draw(st.sampled_from(["SIGINT", "SIGTERM", "SIGKILL"])),
        "after": draw(st.integers(1, 60)),
        "_names": [],
    }


@st.composite
def fsize_probe(draw: Any) -> tuple[str, dict[str, Any]]:
    return "fsize", {"limit": draw(st.sampled_from([0, 100, 4096, 65536, 262143])), "_names": []}


#: family -> strategy, and the per-probe timeout (s) its workers get.
STRATEGIES = {
    "random": (random_probe(), 20),
    "initializer": (ctor_probe(), 20),
    "sample": (sample_probe(), 20),
    "fill": (fill_probe(), 20),
    "lookup": (lookup_probe(), 20),
    "fans": (fans_probe(), 20),
    "gains": (gains_probe(), 20),
    "linalg.qr": (qr_probe(), 20),
    "linalg.orthogonalize": (orthogonalize_probe(), 20),
    "linalg.orthogonal": (orthogonal_probe(), 20),
    "save_npy": (save_npy_probe(), 20),
    "cli": (cli_probe(), 30),
    "dask": (dask_probe(), 30),
    "runtime": (runtime_probe(), 20),
    "concurrent": (concurrent_probe(), 90),
    "memlimit": (memlimit_probe(), 150),
    "signal": (signal_probe(), 90),
    "fsize": (fsize_probe(), 90),
}
SCENARIOS = ("concurrent", "memlimit", "signal", "fsize")
