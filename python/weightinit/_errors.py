"""Exception types."""


class ShapeError(RuntimeError, ValueError):
    """A shape an initializer cannot use.

    Both ``RuntimeError`` (what Lasagne raised) and ``ValueError`` (what torch,
    Keras and JAX raise), so code written against either catches it.
    """
