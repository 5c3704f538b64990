"""``python -m starlane.cli``: the ``starlane`` command without the console script."""

from starlane.cli import main

main()
