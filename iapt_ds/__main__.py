"""``python -m iapt_ds``: the ``iapt-ds`` command."""

from .cli import main

raise SystemExit(main())
