"""``python -m qpcr``: the command-line interface."""

from qpcr.cli import main

if __name__ == "__main__":
    main()
