"""``python -m mka1_mock``: the same as the ``mka1-mock`` command."""

from .cli import main

main()
