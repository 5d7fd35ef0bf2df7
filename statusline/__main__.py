"""`python -m statusline`: the same as the `costline` command."""

import sys

from statusline.entry import main

if __name__ == "__main__":
    sys.exit(main())
