"""Reading categories, attributes and brands of ocopsync's own dialects (Voso, Postmart,
the provincial portal).

Those three dialects are our design (their platforms publish no API), and we gave them
the same shapes under different field names, so one reader serves all three: each
connector's payload module names its fields in a :class:`CategoryFields` and an
:class:`AttributeFields` and keeps its own docstring saying the dialect is ours. The
fields are read in one fixed order, so the first wrong one is the one an
UnexpectedAnswerError names, whichever dialect it came from.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import AttributeOption, Brand, Category, CategoryAttribute

INPUT_TYPES = {
    "text": "text",
    "integer": "int",
    "decimal": "float",
    "date": "date",
    "select": "single_select",
    "multi_select": "multi_select",
}
"""The lower-case input types Postmart's and the portal's dialects share -> ours."""
IdReader = Callable[[Answer, str], str]
"""How an id is read: :meth:`Answer.ident` takes text or a whole number, :meth:`Answer.text`
only text (a dialect whose ids are codes)."""


@dataclass(frozen=True)
class CategoryFields:
    """Where one dialect puts a category's fields in its tree answer."""

    items: str
    """The key of the list of categories in the answer."""
    id: str
    leaf: str
    id_of: IdReader = Answer.text


@dataclass(frozen=True)
class AttributeFields:
    """Where one dialect puts a leaf attribute's fields, and its names of input types."""

    items: str
    key: str
    mandatory: str
    input_type: str
    input_types: Mapping[str, str]
    """The dialect's input type -> ours; one we do not know is read as ``text``."""
    options: str
    option_id: str
    option_name: str
    key_of: IdReader = Answer.text


def parse_categories(answer: Answer, fields: CategoryFields) -> list[Category]:
    """The flat tree, parents first as the dialect sends it; no parent id: a top node."""
    return [
        Category(
            category_id=fields.id_of(c, fields.id),
            parent_id=c.scalar_text("parent_id") or None,
            name=c.text("name"),
            leaf=c.field(fields.leaf, bool),
        )
        for c in answer.items(fields.items)
    ]


def parse_attributes(answer: Answer, fields: AttributeFields) -> list[CategoryAttribute]:
    """A leaf's attributes; an attribute without allowed values sends no option list."""
    return [
        CategoryAttribute(
            key=fields.key_of(a, fields.key),
            name=a.text("name"),
            mandatory=a.field(fields.mandatory, bool),
            input_type=fields.input_types.get(a.text(fields.input_type), "text"),
            options=tuple(
                AttributeOption(o.ident(fields.option_id), o.text(fields.option_name))
                for o in a.items(fields.options, optional=True)
            ),
            unit=a.scalar_text("unit"),
        )
        for a in answer.items(fields.items)
    ]


def parse_brands(answer: Answer, items: str, id_key: str) -> list[Brand]:
    """One page of brands; paging differs per dialect and stays with its caller."""
    return [Brand(b.ident(id_key), b.text("name")) for b in answer.items(items)]
