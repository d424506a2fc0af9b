"""`python -m importer` runs the command-line tool."""

import sys

from importer.cli import main

sys.exit(main())
