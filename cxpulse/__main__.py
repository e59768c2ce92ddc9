"""``python -m cxpulse``: the same as the ``cxpulse`` console script."""

import sys

from cxpulse.cli import main

if __name__ == "__main__":  # not when a spawned child process re-imports the main module
    sys.exit(main())
