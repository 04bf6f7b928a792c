"""``python -m weightinit demo`` runs the same command line as the ``weightinit`` script."""

import sys

from .cli import main

sys.exit(main())
