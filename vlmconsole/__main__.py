"""`python -m vlmconsole` runs the command line."""

from __future__ import annotations

import sys

from vlmconsole.cli import main

sys.exit(main())
