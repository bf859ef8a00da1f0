"""What the sandboxes of ocopsync's own dialects (Voso, Postmart, the portal) share about
categories: flattening a tree, and checking sent attributes against a leaf's.

Those dialects are our design, and we gave them one way of refusing attributes under
different field names, error codes and messages: each ``*_categories`` module states
its own in an :class:`AttributeRules` (and keeps its docstring saying the dialect is
ours); the order of the checks, and so which refusal wins when several apply, is here
once: the shape of the list, then each entry in the order sent (an unknown attribute,
then a value that does not fit), then the first mandatory attribute left out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Attribute = dict[str, Any]
Node = tuple[Any, str, tuple[Any, ...]]
"""``(id, Vietnamese name, children)``; no children: a leaf."""


def flat_tree(tree: tuple[Node, ...], id_key: str) -> list[dict[str, Any]]:
    """The tree, flat and parents first: ``{<id_key>, parent_id, name, level, is_leaf}``."""
    found: list[dict[str, Any]] = []

    def walk(nodes: tuple[Node, ...], parent: Any, level: int) -> None:
        for ident, name, children in nodes:
            found.append(
                {
                    id_key: ident,
                    "parent_id": parent,
                    "name": name,
                    "level": level,
                    "is_leaf": not children,
                }
            )
            walk(children, ident, level + 1)

    walk(tree, None, 1)
    return found


@dataclass(frozen=True)
class AttributeRules:
    """One dialect's names for an attribute's fields, its refusal codes and messages.

    The messages are ``str.format`` templates: ``{key}`` and ``{name}`` are the
    attribute's, ``{category}`` the category's, ``{sent!r}`` the key as sent.
    """

    key: str
    """The attribute's key, in its spec and in an entry sent."""
    key_type: type
    """What a sent key must be to be looked up at all (``int`` or ``str``)."""
    required: str
    input_type: str
    selects: tuple[str, ...]
    integer: str
    decimal: str
    options: str
    """The spec's list of allowed values, each with its id under ``option_id``."""
    option_id: str
    chosen: str
    """Where an entry sent names its chosen value."""
    shape_code: str
    shape_message: str
    invalid_code: str
    required_code: str
    unknown: str
    not_an_option: str
    no_value: str
    not_a_number: str
    missing: str


def _value_problem(rules: AttributeRules, spec: Attribute, entry: dict[str, Any]) -> str | None:
    """Why one sent attribute value does not fit its attribute (None when it does)."""
    names = {"key": spec[rules.key], "name": spec["name"]}
    kind = spec[rules.input_type]
    if kind in rules.selects:
        if entry.get(rules.chosen) not in [o[rules.option_id] for o in spec[rules.options]]:
            return rules.not_an_option.format(**names)
        return None
    value = entry.get("value")
    if not isinstance(value, str) or not value.strip():
        return rules.no_value.format(**names)
    try:
        if kind == rules.integer:
            int(value)
        elif kind == rules.decimal:
            float(value)
    except ValueError:
        return rules.not_a_number.format(**names)
    return None


def attribute_problem(
    rules: AttributeRules, category: Any, attributes: list[Attribute], sent: Any
) -> tuple[str, str] | None:
    """``(code, message)`` when ``sent`` does not fit ``category``'s ``attributes``."""
    entries = [] if sent is None else sent
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return rules.shape_code, rules.shape_message
    specs = {a[rules.key]: a for a in attributes}
    for entry in entries:
        key = entry.get(rules.key)
        spec = specs.get(key) if isinstance(key, rules.key_type) else None
        if spec is None:
            return rules.invalid_code, rules.unknown.format(sent=key, category=category)
        if problem := _value_problem(rules, spec, entry):
            return rules.invalid_code, problem
    given = [e.get(rules.key) for e in entries]
    for spec in specs.values():
        if spec[rules.required] and spec[rules.key] not in given:
            names = {"key": spec[rules.key], "name": spec["name"], "category": category}
            return rules.required_code, rules.missing.format(**names)
    return None
