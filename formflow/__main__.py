"""`python -m formflow` runs the command line."""

from formflow.cli import main

main()
