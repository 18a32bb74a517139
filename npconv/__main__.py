"""``python -m npconv``: the ``npconv`` command (see :mod:`npconv.cli`)."""

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
