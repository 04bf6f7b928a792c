"""Exception types."""


class ShapeError(RuntimeError, ValueError):
    """A shape an initializer cannot use.

    Both ``RuntimeError`` (what Lasagne raised) and ``ValueError`` (what torch,
    Keras and JAX raise), so code written against either catches it.
    """


class ZeroElementWarning(UserWarning):
    """Initializing a zero-element tensor, which is a no-op.

    What ``weightinit.torch.init_`` warns where torch's ``kaiming_*_`` (and so
    ``nn.Linear``/``nn.ConvNd``'s default initialization) warns, with torch's
    message. Filter it with ``warnings.filterwarnings("ignore",
    category=weightinit.ZeroElementWarning)``.
    """
