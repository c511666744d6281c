"""The one definition of the tables: the local stack, the tests and the deployment template all
create them from the models here, so there is no hand-copied schema."""
from chalicelib.store.models import ALL_MODELS


def table_definitions() -> list[dict]:
    """CreateTable parameters for every table, as DynamoDB's API spells them."""
    definitions = []
    for model in ALL_MODELS:
        schema = model._get_schema()
        definition = {
            "TableName": model.Meta.table_name,
            "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": schema["attribute_definitions"],
            "KeySchema": schema["key_schema"],
        }
        indexes = [
            {"IndexName": gsi["index_name"], "KeySchema": gsi["key_schema"], "Projection": gsi["projection"]}
            for gsi in schema.get("global_secondary_indexes", [])
        ]
        if indexes:
            definition["GlobalSecondaryIndexes"] = indexes
        definitions.append(definition)
    return definitions


def create_tables(wait: bool = True) -> list[str]:
    """Create every missing table; returns the names created. Safe to call again."""
    created = []
    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(billing_mode="PAY_PER_REQUEST", wait=wait)
            created.append(model.Meta.table_name)
    return created


def delete_tables() -> None:
    for model in ALL_MODELS:
        if model.exists():
            model.delete_table()
