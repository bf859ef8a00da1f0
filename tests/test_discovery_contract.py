"""The discovery contract: every connector that declares ``capabilities.discovery``
passes it against its own sandbox, in process.

Parametrised over every platform that may have discovery; one whose connector does not
declare it (yet) is skipped at run time, so the suite picks it up the day it lands. The
connectors are built with :class:`tests.test_contract.Rig`, as the main contract builds
them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest

from ocopsync.connectors.base import (
    Brand,
    Category,
    CategoryAttribute,
    Connector,
    ContentUpdates,
    Discovery,
    ItemLimits,
)
from tests.test_contract import Rig, run

PLATFORMS = ["shopee", "lazada", "sendo", "voso", "postmart", "portal"]
INPUT_TYPES = {"text", "int", "float", "date", "single_select", "multi_select"}


@pytest.fixture(params=PLATFORMS)
def found(request: pytest.FixtureRequest) -> Iterator[tuple[Rig, Connector]]:
    rig = Rig(request.param)
    connector = run(rig.connect())
    try:
        if not connector.capabilities.discovery:
            pytest.skip(f"{request.param} does not declare discovery yet")
        assert isinstance(connector, Discovery), "discovery declared, protocol not implemented"
        yield rig, connector
    finally:
        run(connector.aclose())


def tree(connector: Connector) -> list[Category]:
    assert isinstance(connector, Discovery)
    return run(connector.list_categories())


def test_the_tree_has_leaves_and_parents_come_first(found: tuple[Rig, Connector]) -> None:
    _rig, connector = found
    categories = tree(connector)
    assert categories, "an empty tree"
    seen: set[str] = set()
    for category in categories:
        assert category.category_id and category.name
        assert category.category_id not in seen, f"{category.category_id} listed twice"
        assert category.parent_id is None or category.parent_id in seen, (
            f"{category.category_id} comes before its parent {category.parent_id}"
        )
        seen.add(category.category_id)
    leaves = [c for c in categories if c.leaf]
    assert leaves, "no leaf: nothing could be listed"
    parents = {c.parent_id for c in categories}
    assert not [c.category_id for c in leaves if c.category_id in parents], "a leaf has children"


def test_every_leaf_has_readable_attributes_and_some_are_mandatory(
    found: tuple[Rig, Connector],
) -> None:
    _rig, connector = found
    assert isinstance(connector, Discovery)
    leaves = [c for c in tree(connector) if c.leaf]

    async def every() -> dict[str, list[CategoryAttribute]]:
        return {c.category_id: await connector.category_attributes(c.category_id) for c in leaves}

    attributes = run(every())
    mandatory = []
    for leaf, found_attributes in attributes.items():
        for attribute in found_attributes:
            assert attribute.key and attribute.name, f"{leaf}: an attribute without key or name"
            assert attribute.input_type in INPUT_TYPES, f"{leaf}: {attribute.input_type!r}"
            if attribute.input_type.endswith("select"):
                assert attribute.options, f"{leaf}: select {attribute.key} without options"
                assert all(o.value_id and o.name for o in attribute.options)
            if attribute.mandatory:
                mandatory.append((leaf, attribute.key))
    assert mandatory, "no leaf has a mandatory attribute: nothing would ever be blocked"


def test_brands_are_readable_for_a_leaf(found: tuple[Rig, Connector]) -> None:
    _rig, connector = found
    assert isinstance(connector, Discovery)
    leaves = [c for c in tree(connector) if c.leaf]

    async def all_brands() -> list[list[Brand]]:
        return [await connector.category_brands(leaf.category_id) for leaf in leaves[:8]]

    for brands in run(all_brands()):
        assert all(isinstance(b, Brand) and b.brand_id and b.name for b in brands)
        assert len({b.brand_id for b in brands}) == len(brands), "a brand listed twice"


def test_item_limits_are_sane(found: tuple[Rig, Connector]) -> None:
    _rig, connector = found
    assert isinstance(connector, Discovery)
    leaf = next(c for c in tree(connector) if c.leaf)
    limits = run(connector.item_limits(leaf.category_id))
    assert isinstance(limits, ItemLimits)
    assert limits.name_max >= 20 and limits.description_max >= limits.name_max
    assert 1 <= limits.images_max <= 50
    assert 100 * 1024 <= limits.image_max_bytes <= 50 * 1024 * 1024
    assert limits.image_formats and all(f.islower() for f in limits.image_formats)
    assert limits.price_min >= 0
    assert limits.price_max == 0 or limits.price_max > limits.price_min
    assert limits.variants_max >= 0


def test_a_content_update_of_the_name_shows_in_the_next_read(
    found: tuple[Rig, Connector],
) -> None:
    rig, connector = found
    if not connector.capabilities.content_updates:
        pytest.skip(f"{rig.platform} does not declare content updates yet")
    assert isinstance(connector, ContentUpdates)
    remote_id = rig.emulator.seed("CONTENT-1", "Trà hoa vàng", 45_000, 5)
    renamed = dataclasses.replace(rig.draft("CONTENT-1"), name="Trà hoa vàng Ba Chẽ hộp 100 g")

    async def scenario() -> None:
        await connector.update_content(remote_id, renamed, ["name"])
        got = await connector.find_by_sku("CONTENT-1")
        assert got is not None and got.name == "Trà hoa vàng Ba Chẽ hộp 100 g"

    run(scenario())
    assert rig.emulator.snapshot()["CONTENT-1"]["name"] == "Trà hoa vàng Ba Chẽ hộp 100 g"
