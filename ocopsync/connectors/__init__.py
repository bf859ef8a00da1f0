"""Connectors: one module per platform, behind the contract in :mod:`.base`."""

from __future__ import annotations
