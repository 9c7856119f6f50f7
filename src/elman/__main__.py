"""``python -m elman``: the ``elman`` command (so ``torchrun ... -m elman train`` works)."""

import sys

from .cli import main

sys.exit(main())
