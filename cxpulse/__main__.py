"""``python -m cxpulse``: the same as the ``cxpulse`` console script."""

import sys

from cxpulse.cli import main

sys.exit(main())
