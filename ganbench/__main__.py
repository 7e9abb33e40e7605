"""``python -m ganbench``."""

from ganbench.cli import main

main()
