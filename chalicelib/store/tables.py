"""The one definition of the tables: the local stack, the tests and the deployment template all
create them from the models here, so there is no hand-copied schema."""
from typing import Any

from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.store.db import connection
from chalicelib.store.models import ALL_MODELS

Definition = dict[str, Any]  # a CreateTable request, as DynamoDB's API spells it


STREAMED = {"outbox"}  # tables whose changes a Lambda follows (the outbox is delivered within seconds)


def ttl_attribute(model: type[Model]) -> str | None:
    names = [name for name, attribute in model.get_attributes().items() if isinstance(attribute, TTLAttribute)]
    return names[0] if names else None


def table_definitions(prefix: str | None = None) -> list[Definition]:
    """CreateTable parameters for every table, as DynamoDB's API spells them (named with `prefix`, for
    another stage's template, or as this process's models are)."""
    definitions = []
    for model in ALL_MODELS:
        schema: dict[str, Any] = dict(model._get_schema())
        definition: Definition = {
            "TableName": prefix + short_name(model) if prefix is not None else table_name(model),
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": schema["attribute_definitions"],
            "KeySchema": _hash_first(schema["key_schema"]),
        }
        indexes = [
            {"IndexName": gsi["index_name"], "KeySchema": _hash_first(gsi["key_schema"]),
             "Projection": gsi["projection"]}
            for gsi in schema.get("global_secondary_indexes", [])
        ]
        if indexes:
            definition["GlobalSecondaryIndexes"] = indexes
        if short_name(model) in STREAMED:
            definition["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        definitions.append(definition)
    return definitions


def short_name(model: type[Model]) -> str:
    """The table's name without the stage prefix: 'cards', 'outbox', …"""
    return str(model.Meta.short_name)  # type: ignore[attr-defined]  # our Meta (models._meta) has it


def table_name(model: type[Model]) -> str:
    return str(model.Meta.table_name)


def _hash_first(key_schema: list[dict[str, str]]) -> list[dict[str, str]]:
    # DynamoDB wants HASH before RANGE; PynamoDB's schema does not promise an order.
    return sorted(key_schema, key=lambda key: key["KeyType"] != "HASH")


def create_tables(wait: bool = True) -> list[str]:
    """Create every missing table from `table_definitions()`; returns the names created. Safe to call again."""
    client = connection().client
    existing = set()
    for page in client.get_paginator("list_tables").paginate():
        existing.update(page["TableNames"])
    created = []
    for definition in table_definitions():
        if definition["TableName"] not in existing:
            client.create_table(**definition)
            created.append(definition["TableName"])
        else:
            _sync_indexes(client, definition)
    if wait:
        for name in created:
            client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    for model in ALL_MODELS:
        ttl = ttl_attribute(model)
        if ttl and table_name(model) in created:
            client.update_time_to_live(TableName=table_name(model),
                                       TimeToLiveSpecification={"Enabled": True, "AttributeName": ttl})
    return created


def _sync_indexes(client: Any, definition: Definition) -> list[str]:
    """Bring an existing table's indexes to the models' definition: an index that is missing, or whose key
    changed (say `by_expiry`, re-keyed by program and day), is (dropped and) built again, so a local stack
    whose data outlived a schema change keeps working. Returns the indexes rebuilt."""
    name = definition["TableName"]
    table = client.describe_table(TableName=name)["Table"]
    present = {index["IndexName"]: _hash_first(index["KeySchema"]) for index in table.get("GlobalSecondaryIndexes", [])}
    rebuilt = []
    for index in definition.get("GlobalSecondaryIndexes", []):
        if present.get(index["IndexName"]) == index["KeySchema"]:
            continue
        if index["IndexName"] in present:
            client.update_table(TableName=name,
                                GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": index["IndexName"]}}])
        keys = {key["AttributeName"] for key in index["KeySchema"]}
        client.update_table(TableName=name, GlobalSecondaryIndexUpdates=[{"Create": index}],
                            AttributeDefinitions=[attribute for attribute in definition["AttributeDefinitions"]
                                                  if attribute["AttributeName"] in keys])
        rebuilt.append(index["IndexName"])
    return rebuilt


def delete_tables() -> None:
    for model in ALL_MODELS:
        if model.exists():
            model.delete_table()
