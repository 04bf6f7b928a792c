"""Signal-propagation diagnostics: why one initialization trains and another does not.

The variance of activations and of back-propagated gradients changes from
layer to layer by a factor fan_in * Var(w) * (something about the
nonlinearity) (LeCun et al. 1998; Glorot & Bengio 2010; He et al. 2015; Saxe
et al. 2014). :func:`propagate` measures it on a randomly initialized stack,
:func:`predict` gives the recursion's prediction, :func:`plot` draws both
(needs matplotlib, the ``plot`` extra) and :func:`run_demo` is the experiment
behind ``weightinit demo``; :func:`lsuv` is the data-dependent LSUV
initialization (Mishkin & Matas 2016) of the same stacks.

Importing this module never imports matplotlib.
"""

from ._activations import ACTIVATIONS, SATURATION_FRACTION, Activation, get_activation
from ._demo import DemoResult, conclusions, format_table, run_demo, synthetic_inputs
from ._lsuv import LSUV, lsuv
from ._plotting import figure_size, plot
from ._propagation import MEASURED_FIELDS, Propagation, predict, propagate
from ._theory import PREDICTION_FIELDS, Prediction

__all__ = [
    "ACTIVATIONS",
    "Activation",
    "DemoResult",
    "LSUV",
    "MEASURED_FIELDS",
    "PREDICTION_FIELDS",
    "Prediction",
    "Propagation",
    "SATURATION_FRACTION",
    "conclusions",
    "figure_size",
    "format_table",
    "get_activation",
    "lsuv",
    "plot",
    "predict",
    "propagate",
    "run_demo",
    "synthetic_inputs",
]
