"""The one table every entity lives in.

Keys are generic (`PK`, `SK`, `GSI1PK`/`GSI1SK`, `GSI2PK`/`GSI2SK`); each entity class owns the
derivation of its keys (`Entity.key(...)` class methods), so a newcomer finds any key in the
entity's own module. `entity` is the pynamodb discriminator: a query over a partition returns
the right subclass for every item.

This model is also the table definition the CDK app deploys (infra reads `table_schema()`), and
a test proves the synthesised table equals it.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pynamodb.attributes import DiscriminatorAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.connection import TableConnection
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from lectern.config import get_settings


class GSI1(GlobalSecondaryIndex["TableItem"]):
    """Inverted / alternate lookups (e.g. audit entries by actor)."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(range_key=True, attr_name="GSI1SK")


class GSI2(GlobalSecondaryIndex["TableItem"]):
    """Second alternate lookup, kept for access patterns that need two (see data-model.md)."""

    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(range_key=True, attr_name="GSI2SK")


class GSI3(GlobalSecondaryIndex["TableItem"]):
    """Sparse queue index: an item is in it only while it waits (the waitlist of an event)."""

    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    gsi3pk = UnicodeAttribute(hash_key=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(range_key=True, attr_name="GSI3SK")


TTL_ATTRIBUTE = "ttl"


class TableItem(Model):
    """Base of every entity. Never stored itself."""

    class Meta:
        # Bound to the deployment's table on first use (see _get_connection): no env read at import.
        table_name: str = "lectern"
        region: str | None = None
        host: str | None = None
        billing_mode = "PAY_PER_REQUEST"

    pk = UnicodeAttribute(hash_key=True, attr_name="PK")
    sk = UnicodeAttribute(range_key=True, attr_name="SK")
    entity = DiscriminatorAttribute(attr_name="entity")
    gsi1pk = UnicodeAttribute(null=True, attr_name="GSI1PK")
    gsi1sk = UnicodeAttribute(null=True, attr_name="GSI1SK")
    gsi2pk = UnicodeAttribute(null=True, attr_name="GSI2PK")
    gsi2sk = UnicodeAttribute(null=True, attr_name="GSI2SK")
    gsi3pk = UnicodeAttribute(null=True, attr_name="GSI3PK")
    gsi3sk = UnicodeAttribute(null=True, attr_name="GSI3SK")
    ttl = TTLAttribute(null=True, attr_name=TTL_ATTRIBUTE)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()

    _bound: ClassVar[bool] = False

    @classmethod
    def _get_connection(cls) -> TableConnection:
        # One connection (one botocore client) for every entity class: each pynamodb subclass
        # would otherwise build its own client (~35 ms of cold start each).
        if cls is not TableItem:
            return TableItem._get_connection()
        if not TableItem._bound:
            settings = get_settings()
            TableItem.Meta.table_name = settings.table_name
            TableItem.Meta.region = settings.region
            TableItem._bound = True
        return super()._get_connection()

    @classmethod
    def unbind(cls) -> None:
        """Forget the connection (tests and the local runtime switch tables/endpoints)."""
        TableItem._connection = None
        TableItem._bound = False


def table_schema() -> dict[str, Any]:
    """Key schema, attribute definitions and GSIs, exactly as pynamodb creates the table."""
    schema = TableItem._get_schema()
    return {
        "key_schema": schema["key_schema"],
        "attribute_definitions": schema["attribute_definitions"],
        "global_secondary_indexes": [
            {"index_name": g["index_name"], "key_schema": g["key_schema"], "projection": g["projection"]}
            for g in schema["global_secondary_indexes"]
        ],
        "ttl_attribute": TTL_ATTRIBUTE,
    }


def create_table() -> None:
    """Create the table (tests and the local runtime; production tables come from CDK)."""
    from lectern.data import entities  # noqa: F401  register every entity's indexes

    TableItem.create_table(billing_mode="PAY_PER_REQUEST", wait=False)
    TableItem._get_connection().connection.client.update_time_to_live(
        TableName=TableItem.Meta.table_name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )
