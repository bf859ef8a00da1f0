"""ocopsync: one master catalog of OCOP products, kept true on every marketplace."""

from __future__ import annotations

__version__ = "0.1.0"
