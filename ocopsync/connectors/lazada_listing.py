"""Discovery and product writes of the Lazada connector: categories, attributes, brands,
limits; CreateProduct (one SKU or one per variant, or SKUs added to a product),
UpdateProduct for content, and images moved to Lazada.

The request shapes are pure functions in :mod:`.lazada_discovery` and
:mod:`.lazada_product` (sources there); this module only sequences the calls and keeps
what one connection learns (migrated images, SKU-level attribute names per category,
the SellerSku of every id written).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ocopsync.connectors import lazada_discovery as ld
from ocopsync.connectors import lazada_payloads as lp
from ocopsync.connectors import lazada_product as lpr
from ocopsync.connectors.answers import Answer
from ocopsync.connectors.base import ConnectorContext, ListingDraft
from ocopsync.connectors.images import download_image
from ocopsync.connectors.lazada_client import PLATFORM, LazadaClient
from ocopsync.errors import FatalConfigError, RejectedError
from ocopsync.i18n import _
from ocopsync.records import Brand, Category, CategoryAttribute, ItemLimits

CATEGORY_TREE = "/category/tree/get"


def _categories(body: Answer) -> list[Category]:
    """``data``, a nested tree, flat and parents first."""
    found: list[Category] = []

    def walk(nodes: list[Answer], parent: str | None) -> None:
        for node in nodes:
            category_id = node.ident("category_id")
            found.append(Category(category_id, parent, node.text("name"), node.field("leaf", bool)))
            walk(node.items("children", optional=True), category_id)

    walk(body.items("data"), None)
    return found


class LazadaProducts(LazadaClient):
    """What a Lazada connection asks before a create, and the creates and edits."""

    def __init__(self, ctx: ConnectorContext) -> None:
        super().__init__(ctx)
        options = ctx.settings.options
        categories = options.get("category_map", {})
        package = options.get("package_cm", lp.DEFAULT_PACKAGE_CM)
        if not isinstance(categories, Mapping) or not (
            isinstance(package, list | tuple) and len(package) == 3
        ):
            raise FatalConfigError(
                "options.category_map must be a table and options.package_cm a list of "
                "three numbers (length, width, height in cm)",
                platform=PLATFORM,
            )
        self.category_map = {str(k): str(v) for k, v in categories.items()}
        self.package_cm = tuple(int(v) for v in package)
        weight = options.get("default_weight_g")
        self.default_weight_g = int(weight) if weight else None
        self._migrated: dict[str, str] = {}
        self._skus: dict[str, str] = {}
        """remote_id -> SellerSku of every listing seen or written: how read-back finds
        a listing, as GetProducts filters on SellerSku and not on ids."""
        self._rules: dict[str, lpr.CategoryRules] = {}
        """category id -> what its attributes, once read, tell a create: where each of a
        draft's attributes goes, and the ``en_name`` of each option."""
        self.image_upload = bool(options.get("image_upload", False))
        hosts = options.get("image_hosts")
        self.image_hosts = [str(h) for h in hosts] if isinstance(hosts, list | tuple) else None

    # -- discovery -------------------------------------------------------------------
    async def list_categories(self) -> list[Category]:
        """The category tree, flat, in Vietnamese (GetCategoryTree, no token needed)."""
        return await self._public_call(CATEGORY_TREE, {"language_code": "vi_VN"}, _categories)

    async def category_attributes(self, category_id: str) -> list[CategoryAttribute]:
        """GetCategoryAttributes (no token): what a create of this leaf may carry."""
        query = {"primary_category_id": str(category_id), "language_code": ld.LANGUAGE}
        found = await self._public_call(ld.CATEGORY_ATTRIBUTES, query, ld.category_attributes)
        self._rules[str(category_id)] = lpr.CategoryRules(
            sku_keys=frozenset(a.record.key for a in found if a.sku_level),
            en_names={(a.record.key, i): en for a in found for i, en in a.en_names.items()},
        )
        return [a.record for a in found]

    async def category_brands(self, category_id: str) -> list[Brand]:
        """Every page of GetBrandByPages (no token). Lazada's brand list is the
        venture's, not a category's, so ``category_id`` does not narrow it."""
        brands: list[Brand] = []
        while True:
            query = ld.brands_query(len(brands))
            page, total = await self._public_call(ld.BRANDS, query, ld.brands_page)
            brands += page
            if not page or len(brands) >= total:
                return brands

    async def item_limits(self, category_id: str) -> ItemLimits:
        """The documented limits (no API reads them): see :data:`~.lazada_discovery.ITEM_LIMITS`."""
        return ld.ITEM_LIMITS

    # -- creates and content ------------------------------------------------------
    def _weight_g(self, draft: ListingDraft) -> int | None:
        return draft.weight_g or self.default_weight_g

    def _category_of(self, draft: ListingDraft) -> str | None:
        """The draft's own leaf, else the group's in ``options.category_map``."""
        return draft.category_id.strip() or self.category_map.get(draft.group)

    def missing_for_create(self, draft: ListingDraft) -> list[str]:
        missing = []
        if self._category_of(draft) is None:
            missing.append(f"no category for group {draft.group!r} in options.category_map")
        if not draft.image_urls and not draft.group_remote_id:
            missing.append("no images: Lazada requires at least one product image")
        if not self._weight_g(draft):
            missing.append(
                "no package weight: set the product's weight or options.default_weight_g"
            )
        if draft.group_remote_id and not draft.variants:
            missing.append(_("no variants to add to the existing Lazada product"))
        return missing + lpr.variant_problems(draft)

    async def _lazada_image(self, url: str) -> str:
        """The Lazada-hosted copy of ``url``, moving each external image once: migrated
        by URL, or (``options.image_upload``) downloaded by us within Lazada's limits and
        uploaded."""
        if not lp.needs_migration(url):
            return url
        if url not in self._migrated:
            if self.image_upload:
                self._migrated[url] = await self._upload_image(url)
            else:
                payload = {"payload": lp.migrate_payload(url)}
                self._migrated[url] = await self._call(
                    "POST", "/image/migrate", payload, lp.migrated_url
                )
        return self._migrated[url]

    async def _upload_image(self, url: str) -> str:
        """UploadImage: the bytes as multipart ``image``, which the signature leaves out."""
        data = await self.http.call(
            lambda: download_image(
                self.http.client,
                url,
                platform=PLATFORM,
                hosts=self.image_hosts,
                max_bytes=ld.MAX_IMAGE_BYTES,
                formats=("jpeg", "png"),
            )
        )
        files = {"image": ("image", data, "application/octet-stream")}
        return await self._call("POST", "/image/upload", {}, lp.migrated_url, files=files)

    async def _rules_of(self, draft: ListingDraft, category_id: str | None) -> lpr.CategoryRules:
        """The category's rules, read once when the draft has attributes to place."""
        if not category_id:
            return lpr.CategoryRules()
        if draft.attributes and category_id not in self._rules:
            await self.category_attributes(category_id)
        return self._rules.get(category_id, lpr.CategoryRules())

    async def create_listing(self, draft: ListingDraft) -> str:
        """Create the product (one SKU, or one per variant), or add ``draft.variants`` to
        the product ``draft.group_remote_id``; the product's item id for a draft with
        variants, ``"<item_id>:<sku_id>"`` without (as before)."""
        missing = self.missing_for_create(draft)
        weight = self._weight_g(draft)
        category_id = self._category_of(draft)
        if missing or weight is None or category_id is None:
            raise RejectedError("; ".join(missing), platform=PLATFORM, code="missing_data")
        rules = await self._rules_of(draft, category_id)
        if draft.group_remote_id:
            return await self._add_variants(draft, weight, rules)
        # CreateProduct takes only images Lazada hosts, so external ones move first (§3).
        images = [await self._lazada_image(url) for url in draft.image_urls[: lp.MAX_IMAGES]]
        payload = lpr.create_payload(
            draft,
            category_id=category_id,
            images=images,
            weight_g=weight,
            package_cm=self.package_cm,
            rules=rules,
        )
        item_id, ids = await self._call(
            "POST", "/product/create", {"payload": payload}, lpr.created_ids
        )
        self._skus.update((remote_id, sku) for sku, remote_id in ids.items())
        if draft.variants:
            return item_id
        return ids.get(draft.sku, item_id)

    async def _add_variants(
        self, draft: ListingDraft, weight_g: int, rules: lpr.CategoryRules
    ) -> str:
        """UpdateProduct with ``AssociatedSku``: the product is read first for one of its
        SellerSkus and its custom variation, which the new SKUs must share."""
        item_id = lp.split_remote_id(draft.group_remote_id)[0]
        associated, variation = await self._call(
            "GET", "/product/item/get", {"item_id": item_id}, lpr.product_variation
        )
        payload = lpr.add_skus_payload(
            draft,
            item_id=item_id,
            associated_sku=associated,
            variation=variation,
            weight_g=weight_g,
            package_cm=self.package_cm,
            rules=rules,
        )
        await self._call("POST", "/product/update", {"payload": payload}, Answer.mapping)
        return item_id

    async def update_content(
        self, remote_id: str, draft: ListingDraft, fields: Sequence[str]
    ) -> None:
        """UpdateProduct with the name, description, images and normal attributes asked
        for, on the product of ``remote_id`` (a SKU's ``item:sku`` or the item id)."""
        unknown = set(fields) - lpr.CONTENT_FIELDS
        if unknown:
            raise ValueError(f"unknown content fields: {sorted(unknown)}")
        item_id = lp.split_remote_id(remote_id)[0]
        images: list[str] = []
        if "image_urls" in fields:
            images = [await self._lazada_image(u) for u in draft.image_urls[: lp.MAX_IMAGES]]
        rules = lpr.CategoryRules()
        if "attributes" in fields:
            rules = await self._rules_of(draft, self._category_of(draft))
        payload = lpr.content_payload(item_id, draft, fields, images, rules)
        await self._call("POST", "/product/update", {"payload": payload}, Answer.mapping)
