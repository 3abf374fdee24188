"""Allow `python -m salesmetrics`."""

from salesmetrics.cli import main

main()
