"""The deployment template: tables generated from the code's own definitions, and IAM policies with no
wildcard where a specific action or resource exists."""
import json

import pytest

from infra import template

STAGES = ("dev", "prod")


@pytest.fixture(scope="module", params=STAGES)
def built(request):
    return request.param, template.build(request.param)


def test_tables_in_the_template_are_the_codes_tables(built):
    from chalicelib.store import tables
    from chalicelib.store.models import ALL_MODELS

    stage, document = built
    resources = {r["Properties"]["TableName"]: r["Properties"] for r in document["Resources"].values()
                 if r.get("Type") == "AWS::DynamoDB::Table"}
    assert len(resources) == len(ALL_MODELS)
    prefix = template.stage_environment(stage)["TABLE_PREFIX"]
    for model in ALL_MODELS:
        short = tables.short_name(model)
        table = resources[f"{prefix}{short}"]
        expected = next(d for d in tables.table_definitions(prefix) if d["TableName"] == f"{prefix}{short}")
        assert table["KeySchema"] == expected["KeySchema"]
        assert sorted(table["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
        assert {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in table.get("GlobalSecondaryIndexes", [])} \
            == {i["IndexName"]: (i["KeySchema"], i["Projection"]) for i in expected.get("GlobalSecondaryIndexes", [])}
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert ("TimeToLiveSpecification" in table) == (tables.ttl_attribute(model) is not None)
    assert resources[f"{prefix}outbox"]["StreamSpecification"] == {"StreamViewType": "KEYS_ONLY"}


def _statements(document):
    for logical, resource in document["Resources"].items():
        if resource.get("Type") == "AWS::IAM::Role":
            for policy in resource["Properties"]["Policies"]:
                for statement in policy["PolicyDocument"]["Statement"]:
                    if "Fn::If" in statement:  # a statement only when its condition holds
                        _, conditional, otherwise = statement["Fn::If"]
                        assert otherwise == {"Ref": "AWS::NoValue"}
                        yield logical, conditional
                    else:
                        yield logical, statement


def test_no_policy_has_a_wildcard_action_or_resource(built):
    _, document = built
    seen = 0
    for logical, statement in _statements(document):
        seen += 1
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), (logical, statement["Sid"])
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for resource in resources:
            text = json.dumps(resource)
            if statement["Sid"] == "Tracing":  # X-Ray's write actions take no resource but "*"
                assert actions == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
                continue
            assert resource != "*" and '"*"' not in text, (logical, statement["Sid"])
            if "*" in text:  # only where the name is not known before deployment, or S3's key prefix
                assert (statement["Sid"] == "Logs" and "${AWS::StackName}-*" in text) or (
                    statement["Sid"] == "ImageFiles" and text.endswith('${AssetsBucket.Arn}/programs/*"}')), (
                    logical, statement["Sid"])
            if "dynamodb" in " ".join(actions) and statement["Sid"] != "OutboxStream":
                assert "Fn::GetAtt" in resource or "/index/" in text, (logical, statement["Sid"])
    assert seen >= 12


def test_each_function_has_its_own_role_and_only_its_tables(built):
    _, document = built
    roles = {logical: resource for logical, resource in document["Resources"].items()
             if resource.get("Type") == "AWS::IAM::Role"}
    assert set(roles) == {"APIHandlerRole", "TierReviewRole", "OutboxRole", "OutboxStreamRole", "ExpirePointsRole",
                          "BirthdaysRole", "WinbackRole", "CampaignsRole", "JobChunkRole", "AnalyticsRole",
                          "RetentionRole"}
    tier_tables = {json.dumps(s["Resource"]) for _, s in _statements({"Resources": {"r": roles["TierReviewRole"]}})}
    assert not any("Receipts" in t or "PosKeys" in t or "Ledger" in t for t in tier_tables)
    assert document["Resources"]["APIHandler"]["Properties"]["Role"] == {"Fn::GetAtt": ["APIHandlerRole", "Arn"]}
    assert document["Resources"]["Outbox"]["Properties"]["DeadLetterQueue"]["Type"] == "SQS"


def test_queues_are_declared_and_outputs_name_secrets_only(built):
    _, document = built
    resources = document["Resources"]
    assert resources["JobsQueue"]["Properties"]["RedrivePolicy"]["deadLetterTargetArn"] == \
        {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}
    secrets = {key: output for key, output in document["Outputs"].items() if key.endswith("Secret")}
    assert secrets and all("/" in output["Value"] for output in secrets.values())  # names, never values
