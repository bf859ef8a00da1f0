"""Allow ``python -m ocopsync``."""

from __future__ import annotations

from ocopsync.cli import main

main()
