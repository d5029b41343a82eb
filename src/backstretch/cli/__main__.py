"""``python -m backstretch.cli`` (as ``python -m backstretch``)."""

import sys

from backstretch.cli import main

sys.exit(main())
