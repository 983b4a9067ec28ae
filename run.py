"""Start chatserver, or run an admin command: `python run.py --help`."""

import sys

from chatserver.cli import main

if __name__ == "__main__":
    sys.exit(main())
