"""``python -m qpcr``: the command-line interface."""

from qpcr.cli import main

main()
