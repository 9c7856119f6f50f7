"""``python -m elman.cli``: the same as the ``elman`` command."""

import sys

from . import main

sys.exit(main())
