"""Oversell rules: how much of the master stock one connection may offer.

A fixed buffer alone sends the last units of a product to six channels at once, and
each may sell them. Sellers' tools (BigSeller, Ginee, Linnworks) add three rules, here
per connection and, later, per product:

- ``stock_zero_at``: list 0 once the master stock is at or below this many units; the
  last units stay on the one channel named by ``stock_last_units_to`` (or on none);
- ``stock_max``: never list more than this many units;
- ``stock_share_pct``: list this share of the master stock, rounded down.

Pure arithmetic, so every rule and every combination has a table test; the plan says
which rule set each listed figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class StockRules:
    """One connection's (or one product's) oversell rules; None means not set."""

    stock_buffer: int = 0
    stock_zero_at: int | None = None
    stock_last_units_to: str | None = None
    stock_max: int | None = None
    stock_share_pct: float | None = None

    def __post_init__(self) -> None:
        if self.stock_buffer < 0:
            raise ValueError("stock_buffer cannot be negative")
        if self.stock_zero_at is not None and self.stock_zero_at < 0:
            raise ValueError("stock_zero_at cannot be negative")
        if self.stock_max is not None and self.stock_max < 0:
            raise ValueError("stock_max cannot be negative")
        if self.stock_share_pct is not None and not 0 < self.stock_share_pct <= 100:
            raise ValueError("stock_share_pct must be above 0 and at most 100")

    def overridden_by(self, other: StockRules | None) -> StockRules:
        """These rules with every rule ``other`` sets taking precedence (a product's)."""
        if other is None:
            return self
        return StockRules(
            stock_buffer=other.stock_buffer or self.stock_buffer,
            stock_zero_at=_first(other.stock_zero_at, self.stock_zero_at),
            stock_last_units_to=_first(other.stock_last_units_to, self.stock_last_units_to),
            stock_max=_first(other.stock_max, self.stock_max),
            stock_share_pct=_first(other.stock_share_pct, self.stock_share_pct),
        )


def _first(*values: T | None) -> T | None:
    return next((v for v in values if v is not None), None)


def listed_stock(master: int, rules: StockRules, connection: str) -> tuple[int, str]:
    """The units ``connection`` offers out of ``master``, and the rule that set them."""
    offered, rule = max(0, master), "master stock"
    if rules.stock_buffer:
        offered, rule = max(0, master - rules.stock_buffer), f"buffer {rules.stock_buffer}"
    if rules.stock_share_pct is not None:
        share = int(max(0, master) * rules.stock_share_pct // 100)
        if share < offered:
            offered, rule = share, f"share {rules.stock_share_pct:g}%"
    if rules.stock_max is not None and rules.stock_max < offered:
        offered, rule = rules.stock_max, f"max {rules.stock_max}"
    if rules.stock_zero_at is not None and master <= rules.stock_zero_at:
        keeper = rules.stock_last_units_to
        if keeper == connection:
            # the last units all go here: no share, no max, only what is really there
            offered = max(0, master - rules.stock_buffer)
            rule = f"last {rules.stock_zero_at} units go to {keeper}"
        elif offered:
            offered = 0
            where = f" (they go to {keeper})" if keeper else ""
            rule = f"zero at {rules.stock_zero_at}{where}"
    return offered, rule
