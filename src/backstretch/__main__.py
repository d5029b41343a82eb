import sys

from backstretch.cli import main

sys.exit(main())
