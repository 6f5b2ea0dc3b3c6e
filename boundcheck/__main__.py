"""``python -m boundcheck`` runs the command line."""

import sys

from boundcheck.cli import main

if __name__ == "__main__":
    sys.exit(main())
