"""Run the boundcheck command line from a checkout: ``python cli.py ...`` (delegates only)."""

import sys

from boundcheck.cli import main

if __name__ == "__main__":
    sys.exit(main())
