"""Channel policy: how a master price and stock become what one connection lists.

Pure arithmetic on whole dong, no I/O, so reconcile and its tests can use it freely.
"""

from __future__ import annotations

from dataclasses import dataclass

from ocopsync.oversell import StockRules


@dataclass(frozen=True)
class Policy:
    """Per-connection rules; every field is documented in the README's config section."""

    price_markup_pct: float = 0.0
    """Percent added to the master price on this platform (fees differ per platform)."""
    price_rounding: int = 1000
    """Round the listed price *up* to a multiple of this many dong (1 = no rounding)."""
    price_floor: int = 0
    """Never list below this many dong, whatever the markup gives."""
    stock_buffer: int = 0
    """Units held back from this platform, so one channel cannot sell the last units."""
    min_stars: int = 3
    """Only products rated at least this many OCOP stars are listed here."""
    stock_zero_at: int | None = None
    """List 0 here once the master stock is at or below this (oversell guard)."""
    stock_last_units_to: str | None = None
    """The one connection that keeps offering the last ``stock_zero_at`` units."""
    stock_max: int | None = None
    """Never list more than this many units here."""
    stock_share_pct: float | None = None
    """List only this share of the master stock here, rounded down."""

    def __post_init__(self) -> None:
        if self.price_rounding < 1:
            raise ValueError("price_rounding must be a whole number of dong, at least 1")
        if self.price_markup_pct < -100:
            raise ValueError("price_markup_pct cannot be below -100")
        if self.stock_buffer < 0:
            raise ValueError("stock_buffer cannot be negative")
        if self.price_floor < 0:
            raise ValueError("price_floor cannot be negative")
        if not 3 <= self.min_stars <= 5:
            raise ValueError("min_stars must be 3, 4 or 5")

    def price(self, master_price: int) -> int:
        """Listed price in whole dong: markup, then round up to the step, then the floor.

        Integer arithmetic throughout (markup kept in hundredths of a percent) so that
        45,000 with 10% is exactly 49,500 and never 49,499.999.
        """
        basis_points = round(self.price_markup_pct * 100)
        numerator = master_price * (10_000 + basis_points)
        marked_up = -(-numerator // 10_000)  # ceiling division
        step = self.price_rounding
        rounded = -(-marked_up // step) * step
        return max(rounded, self.price_floor)

    def stock_rules(self) -> StockRules:
        """The oversell rules of this connection (``reconcile`` applies them)."""
        return StockRules(
            stock_buffer=self.stock_buffer,
            stock_zero_at=self.stock_zero_at,
            stock_last_units_to=self.stock_last_units_to,
            stock_max=self.stock_max,
            stock_share_pct=self.stock_share_pct,
        )

    def stock(self, master_stock: int) -> int:
        """Units offered on this platform: the master stock less the buffer, never negative."""
        return max(0, master_stock - self.stock_buffer)
