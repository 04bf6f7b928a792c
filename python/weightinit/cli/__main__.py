"""``python -m weightinit.cli`` runs the ``weightinit`` command line."""

import sys

from . import main

sys.exit(main())
