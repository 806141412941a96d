"""``python -m pagent``."""

from pagent.cli import main

raise SystemExit(main())
