"""`python -m app` is the same as the `kiok` command."""

from app.cli import main

main()
