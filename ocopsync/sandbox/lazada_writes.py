"""CreateProduct and UpdateProduct in the Lazada emulator: one product of one or several
SKUs, content edits, and SKUs added to an existing product.

From the Create Product and Update Product guides and API pages as copied in
lazykern/ecommerce-api-docs (``data/processed/lazada/guides/api-best-practice/
product-operation/product-management/create-a-product.md``, ``update-a-product.md``,
``.../product-operation/custom-sales-attributes.md``, ``data/raw/lazada/apis/
product-api/createproduct.json``, ``updateproduct.json``):

- ``payload`` = ``{"Request": {"Product": {PrimaryCategory, Images{Image[]},
  Attributes{name, description, short_description, brand_id (brand "will be
  deprecated"), <category attributes>...}, variation{variation1{name, hasImage,
  customize, options{option[]}}}, Skus{Sku[{SellerSku, price, quantity, package_*,
  saleProp{<sale prop>: <option>}, <sku attributes>...}]}}}}``; the answer is
  ``data{item_id, sku_list[{seller_sku, shop_sku, sku_id}], item_status}``;
- UpdateProduct takes the same payload with ``ItemId``, every field optional but the
  ``SkuId`` of each SKU it edits; ``AssociatedSku`` (an existing SKU of the product) with
  SKUs that have no ``SkuId`` adds them to the product, as does CreateProduct with
  ``AssociatedSku``; "Images field cannot delete the image, only replace"; a SKU's
  ``Status`` ``active``/``inactive``; UpdateProduct "can only add variants and modify
  options, not delete variant attributes". Its answer: ``data{item_status, variation}``.

Refusals are the codes of :mod:`.lazada_checks`, then, as before, ``500`` "Create product
failed" with a ``detail`` per missing basic field (name, images hosted by Lazada,
SellerSku, price > 0, quantity, package weight and size), ``201``/``4134`` for a wrong
or non-leaf category and ``4135`` for a SellerSku the shop has already (the Q&A's
"outer id already exists"). Ours (NF): an update that changes a SKU's price or quantity
is refused with ``501`` (they go through ``/product/price_quantity/update``, which keeps
one writer of stock); ``AssociatedSku`` is matched as a SkuId or a SellerSku (the two
guides disagree); an added SKU goes live at once.
"""

from __future__ import annotations

from typing import Any

from ocopsync.sandbox.base import SandboxItem
from ocopsync.sandbox.lazada_categories import LEAVES, PARENTS
from ocopsync.sandbox.lazada_checks import (
    Refusal,
    attribute_problems,
    brand_of,
    declared_variations,
    images_problem,
    seller_sku_problems,
    variation_problems,
)
from ocopsync.sandbox.lazada_payload import (
    LazadaError,
    as_list,
    dig,
    hosted_by_lazada,
    number,
    parse_payload,
    whole,
)
from ocopsync.sandbox.lazada_state import PACKAGE_FIELDS, PRODUCT_STATUS, LazadaCatalog

BASIC = frozenset({"name", "description", "brand", "brand_id"})
"""Attributes kept as product fields rather than in ``data["attributes"]``."""
SKU_KEYS = frozenset(
    {"SellerSku", "SkuId", "price", "quantity", "special_price", "saleProp", "Images"}
    | {"Status", "package_content", *PACKAGE_FIELDS}
)


def _product(payload: str) -> dict[str, Any]:
    product = dig(parse_payload(payload), "Request", "Product")
    if not isinstance(product, dict):
        raise LazadaError("5", "Invalid Request Format: Request.Product is required")
    return product


def _attributes(product: dict[str, Any]) -> dict[str, Any]:
    attributes = product.get("Attributes")
    if attributes in (None, ""):
        return {}
    if not isinstance(attributes, dict):
        raise LazadaError("5", "Invalid Request Format: Attributes must be an object")
    return attributes


def _category(value: Any) -> int:
    category = whole(value)
    if category in PARENTS:
        raise LazadaError("4134", "Please use the last level category")
    if category is None or category not in LEAVES:
        raise LazadaError("201", f"Invalid CategoryId {value}")
    return category


def _skus(product: dict[str, Any]) -> list[dict[str, Any]]:
    skus = as_list(dig(product, "Skus", "Sku"))
    if not all(isinstance(s, dict) for s in skus):
        raise LazadaError("5", "Invalid Request Format: every Sku must be an object")
    return skus


def _refused(refusal: Refusal) -> LazadaError:
    return LazadaError(refusal.code, refusal.message, detail=refusal.detail)


def _basic_problems(
    attributes: dict[str, Any] | None, images: list[str] | None, skus: list[dict[str, Any]]
) -> list[dict[str, str]]:
    """What CreateProduct refuses with 500 (``attributes``/``images`` None: not checked)."""
    checks: list[tuple[str, str, bool, str]] = []
    if attributes is not None:
        named = bool(str(attributes.get("name") or "").strip())
        checks.append(("name", "", named, "name is mandatory"))
    if images is not None:
        checks.append(("Images", "", bool(images), "at least one image is required"))
        checks += [
            ("Images", "", hosted_by_lazada(u), f"{u} is not a Lazada image: migrate it first")
            for u in images
        ]
    checks.append(("Skus", "", bool(skus), "at least one Sku is required"))
    for sku in skus:
        seller_sku = str(sku.get("SellerSku") or "").strip()
        quantity = whole(sku.get("quantity"))
        checks += [
            ("SellerSku", seller_sku, bool(seller_sku), "SellerSku is mandatory"),
            ("price", seller_sku, (number(sku.get("price")) or 0) > 0, "price must be > 0"),
            ("quantity", seller_sku, quantity is not None and quantity >= 0, "quantity >= 0"),
            *(
                (n, seller_sku, (number(sku.get(n)) or 0) > 0, f"{n} is mandatory")
                for n in PACKAGE_FIELDS
            ),
        ]
    return [
        {"field": field, "seller_sku": seller_sku, "message": message}
        for field, seller_sku, ok, message in checks
        if not ok
    ]


def _sku_data(sku: dict[str, Any], item_id: str | None) -> dict[str, Any]:
    raw = sku.get("saleProp")
    data: dict[str, Any] = {k: str(sku[k]) for k in PACKAGE_FIELDS}
    data["sale_prop"] = {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}
    data["sku_attributes"] = {
        k: str(v) for k, v in sku.items() if k not in SKU_KEYS and not isinstance(v, dict | list)
    }
    data["sku_images"] = [str(u) for u in as_list(dig(sku, "Images", "Image"))]
    if item_id is not None:
        data["item_id"] = item_id
    return data


def _variation_list(declared: dict[str, tuple[bool, list[str]]]) -> list[list[Any]]:
    return [[name, custom, options] for name, (custom, options) in declared.items()]


def _check_new_skus(catalog: LazadaCatalog, skus: list[dict[str, Any]]) -> None:
    problems = _basic_problems(None, None, skus)
    if problems:
        raise LazadaError("500", "Create product failed", detail=problems)
    for sku in skus:
        seller_sku = str(sku["SellerSku"]).strip()
        if catalog.shop.by_sku(seller_sku):
            raise LazadaError("4135", f"seller sku {seller_sku} (outer id) already exists")


def _add_skus(
    catalog: LazadaCatalog, head: SandboxItem | None, skus: list[dict[str, Any]], name: str
) -> list[SandboxItem]:
    added = []
    for sku in skus:
        item = catalog.add_sku(
            str(sku["SellerSku"]).strip(),
            name,
            round(number(sku["price"]) or 0.0),
            whole(sku["quantity"]) or 0,
            _sku_data(sku, head.remote_id if head is not None else None),
        )
        head = head or item
        added.append(item)
    return added


def _sku_list(catalog: LazadaCatalog, items: list[SandboxItem]) -> list[dict[str, Any]]:
    return [
        {
            "seller_sku": i.sku,
            "shop_sku": f"{catalog.item_id_of(i)}_VNAMZ-{catalog.sku_id(i)}",
            "sku_id": catalog.sku_id(i),
        }
        for i in items
    ]


def _associated(catalog: LazadaCatalog, value: Any) -> SandboxItem:
    text = str(value or "").strip()
    item = catalog.by_sku_id(text) if text.isdigit() else None
    item = item or catalog.shop.by_sku(text)
    head = catalog.product(catalog.item_id_of(item)) if item is not None else None
    if head is None:
        raise LazadaError("4136", "SELLER_SKU_NOT_FOUND: seller sku not found")
    return head


def _existing_props(catalog: LazadaCatalog, head: SandboxItem) -> list[dict[str, str]]:
    return [dict(s.data.get("sale_prop", {})) for s in catalog.skus_of(head)]


def create(catalog: LazadaCatalog, payload: str) -> dict[str, Any]:
    product = _product(payload)
    if product.get("AssociatedSku") not in (None, ""):
        head = _associated(catalog, product["AssociatedSku"])
        return _add_to(catalog, head, product, _skus(product), answer_create=True)
    category = _category(product.get("PrimaryCategory"))
    attributes = _attributes(product)
    images = [str(u) for u in as_list(dig(product, "Images", "Image"))]
    skus = _skus(product)
    problems = _basic_problems(attributes, images, skus)
    if problems:
        raise LazadaError("500", "Create product failed", detail=problems)
    try:
        images_problem(images)
        seller_sku_problems(skus)
        brand = brand_of(attributes, required=True)
        attribute_problems(category, attributes, skus, creating=True)
        declared = declared_variations(product)
        variation_problems(category, declared, skus)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    _check_new_skus(catalog, skus)
    assert brand is not None  # required=True refuses a missing brand
    name = str(attributes["name"]).strip()
    items = _add_skus(catalog, None, skus, name)
    head = items[0]
    head.data.update(
        category=category,
        images=images,
        description=str(attributes.get("description") or ""),
        brand=brand[1],
        brand_id=brand[0],
        attributes={k: str(v) for k, v in attributes.items() if k not in BASIC},
        variation=_variation_list(declared),
    )
    return {
        "item_id": int(head.remote_id),
        "sku_list": _sku_list(catalog, items),
        "item_status": "Active",
    }


def _add_to(
    catalog: LazadaCatalog,
    head: SandboxItem,
    product: dict[str, Any],
    skus: list[dict[str, Any]],
    *,
    answer_create: bool,
) -> dict[str, Any]:
    """SKUs without ``SkuId`` join ``head``'s product, under its sale properties."""
    category = int(head.data.get("category", 10000339))
    declared = {n: (bool(c), list(o)) for n, c, o in head.data.get("variation", [])}
    try:
        for name, (custom, options) in declared_variations(product).items():
            known = declared.get(name, (custom, []))[1]
            declared[name] = (custom, list(dict.fromkeys([*known, *options])))
        attribute_problems(category, {}, skus, creating=False)
        variation_problems(category, declared, skus, _existing_props(catalog, head))
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    _check_new_skus(catalog, skus)
    items = _add_skus(catalog, head, skus, head.name)
    head.data["variation"] = _variation_list(declared)
    catalog.touch(head)
    if answer_create:
        return {
            "item_id": int(head.remote_id),
            "sku_list": _sku_list(catalog, items),
            "item_status": "Active",
        }
    return _update_answer(catalog, head)


def _update_answer(catalog: LazadaCatalog, head: SandboxItem) -> dict[str, Any]:
    return {
        "item_status": PRODUCT_STATUS.get(catalog.state(head), "Deleted"),
        "variation": catalog.render(head).get("variation", {}),
    }


def update(catalog: LazadaCatalog, payload: str) -> dict[str, Any]:
    product = _product(payload)
    if dig(product, "ItemId") in (None, ""):
        raise LazadaError("5", "Invalid Request Format: ItemId is required")
    head = catalog.product(product["ItemId"])
    if head is None:
        raise LazadaError("208", "Item not exist")
    skus = _skus(product)
    new = [s for s in skus if s.get("SkuId") in (None, "")]
    edits = [s for s in skus if s.get("SkuId") not in (None, "")]
    if new and product.get("AssociatedSku") in (None, ""):
        raise LazadaError("207", "SKU not exist: give SkuId, or AssociatedSku to add SKUs")
    if new and _associated(catalog, product["AssociatedSku"]) is not head:
        raise LazadaError("4136", "SELLER_SKU_NOT_FOUND: AssociatedSku is not of this item")
    targets = _edited_skus(catalog, head, edits)
    category = (
        _category(product["PrimaryCategory"])
        if product.get("PrimaryCategory") not in (None, "")
        else int(head.data.get("category", 10000339))
    )
    attributes = _attributes(product)
    images = [str(u) for u in as_list(dig(product, "Images", "Image"))]
    bad_images = [u for u in images if not hosted_by_lazada(u)]
    if bad_images:
        detail = [
            {
                "field": "Images",
                "seller_sku": head.sku,
                "message": f"{u} is not a Lazada image: migrate it first",
            }
            for u in bad_images
        ]
        raise LazadaError("501", "Update product failed", detail=detail)
    if "name" in attributes and not str(attributes["name"] or "").strip():
        raise LazadaError(
            "4108",
            "CHK_BASIC_REQUIRED: Basic attributes Mandatory verification",
            detail=[
                {"field": "name", "message": "name cannot be blank", "code": "CHK_BASIC_REQUIRED"}
            ],
        )
    try:
        images_problem(images)
        brand = brand_of(attributes, required=False)
        attribute_problems(category, attributes, edits, creating=False)
    except Refusal as refusal:
        raise _refused(refusal) from refusal
    result = _add_to(catalog, head, product, new, answer_create=False) if new else None
    _apply_content(catalog, head, category, attributes, images, brand)
    for sku, item in targets:
        if sku.get("Status") == "active" and item.status == "unlisted":
            item.status = "live"
        if isinstance(sku.get("saleProp"), dict):
            item.data["sale_prop"] = {str(k): str(v) for k, v in sku["saleProp"].items()}
        catalog.touch(item)
    return result or _update_answer(catalog, head)


def _edited_skus(
    catalog: LazadaCatalog, head: SandboxItem, edits: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], SandboxItem]]:
    mine = catalog.skus_of(head)
    problems, targets = [], []
    for sku in edits:
        item = catalog.by_sku_id(sku.get("SkuId"))
        if item is None or item not in mine:
            raise LazadaError("207", "SKU not exist")
        if {"price", "quantity", "Price", "Quantity"} & sku.keys():
            problems.append("price and stock go through /product/price_quantity/update")
        if sku.get("Status") == "inactive":
            problems.append("take a product offline with /product/deactivate")
        targets.append((sku, item))
    if problems:
        detail = [{"field": "Skus", "seller_sku": head.sku, "message": p} for p in problems]
        raise LazadaError("501", "Update product failed", detail=detail)
    return targets


def _apply_content(
    catalog: LazadaCatalog,
    head: SandboxItem,
    category: int,
    attributes: dict[str, Any],
    images: list[str],
    brand: tuple[int, str] | None,
) -> None:
    data = head.data
    data["category"] = category
    if images:
        data["images"] = images
    if "name" in attributes:
        for sku in catalog.skus_of(head):
            sku.name = str(attributes["name"]).strip()
    if "description" in attributes:
        data["description"] = str(attributes["description"] or "")
    if brand is not None:
        data["brand_id"], data["brand"] = brand
    others = {k: str(v) for k, v in attributes.items() if k not in BASIC}
    data["attributes"] = {**data.get("attributes", {}), **others}
    catalog.touch(head)
