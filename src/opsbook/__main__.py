"""`python -m opsbook` runs the command line."""

from opsbook.cli.app import main

main()
