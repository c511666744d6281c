"""The deployment as CloudFormation receives it: the packaged prod template (Chalice's functions merged
with ours, through the SAM transform) and the template's resources for both stages. An operator hears
every alarm, logs expire, the API stage is throttled and has no twin, prod tables survive a mistake,
and `make deploy` sends the template through the bucket."""
import json
import re
import subprocess
from pathlib import Path

import pytest

from infra import template

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("dev", "prod")


@pytest.fixture(scope="module", params=STAGES)
def built(request):
    return request.param, template.build(request.param)


def _of_type(document, kind):
    return {logical: resource for logical, resource in document["Resources"].items() if resource.get("Type") == kind}


def _functions(sam):
    return _of_type(sam, "AWS::Serverless::Function")


def test_every_alarm_tells_the_operator(built):
    _, document = built
    alarms = _of_type(document, "AWS::CloudWatch::Alarm")
    assert len(alarms) >= 30
    for logical, alarm in alarms.items():
        assert alarm["Properties"]["AlarmActions"] == [{"Ref": "AlarmTopic"}], logical
        assert alarm["Properties"]["OKActions"] == [{"Ref": "AlarmTopic"}], logical
    subscription = document["Resources"]["AlarmEmailSubscription"]["Properties"]
    assert subscription == {"TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}
    assert "Default" not in document["Parameters"]["AlarmEmail"]  # nobody forgets to name someone


def test_alarms_cover_what_breaks(sam):
    alarms = [a["Properties"] for a in _of_type(sam, "AWS::CloudWatch::Alarm").values()]
    watched = {(a["Namespace"], a["MetricName"], json.dumps(a["Dimensions"], sort_keys=True)) for a in alarms}

    def has(namespace, metric, **dimensions):
        wanted = json.dumps([{"Name": k, "Value": v} for k, v in dimensions.items()], sort_keys=True)
        return (namespace, metric, wanted) in watched

    for logical in _functions(sam):
        assert has("AWS/Lambda", "Errors", FunctionName={"Ref": logical}), logical
        assert has("AWS/Lambda", "Throttles", FunctionName={"Ref": logical}), logical
    for logical in _of_type(sam, "AWS::DynamoDB::Table"):
        assert has("AWS/DynamoDB", "ReadThrottleEvents", TableName={"Ref": logical}), logical
        assert has("AWS/DynamoDB", "WriteThrottleEvents", TableName={"Ref": logical}), logical
    api = {"ApiName": "loyalty-prod", "Stage": "api"}
    assert sam["Resources"]["RestAPI"]["Properties"]["Name"] == "loyalty-prod"
    assert has("AWS/ApiGateway", "5XXError", **api) and has("AWS/ApiGateway", "Latency", **api)
    assert has("AWS/Lambda", "IteratorAge", FunctionName={"Ref": "OutboxStream"})
    assert has("AWS/SQS", "ApproximateAgeOfOldestMessage", QueueName={"Fn::GetAtt": ["JobsQueue", "QueueName"]})
    assert has("AWS/SQS", "ApproximateNumberOfMessagesVisible",
               QueueName={"Fn::GetAtt": ["JobsDeadLetterQueue", "QueueName"]})
    assert has("Loyalty", "OutboxOldestAgeSeconds", Stage="prod")


def test_no_alarm_watches_both_stages():
    """Dev and prod share an account: a dimension naming something both stages have (the API's name,
    the queue's name, a metric's stage) must differ; the stack's own resources (Ref, GetAtt of a
    generated name) are the stage's by construction."""
    def literal_dimensions(document):
        found = {}
        for logical, alarm in _of_type(document, "AWS::CloudWatch::Alarm").items():
            properties = alarm["Properties"]
            values = []
            for dimension in properties["Dimensions"]:
                value = dimension["Value"]
                if isinstance(value, dict) and "Fn::GetAtt" in value:
                    queue = document["Resources"][value["Fn::GetAtt"][0]]["Properties"].get("QueueName")
                    value = queue or value  # a fixed queue name is literal; a generated one is the stack's
                values.append(value)
            if all(isinstance(v, str) for v in values):
                found[logical] = (properties["Namespace"], properties["MetricName"], tuple(values))
        return found

    dev, prod = (literal_dimensions(template.build(stage)) for stage in STAGES)
    assert {"Api5xxAlarm", "ApiLatencyAlarm", "OutboxAgeAlarm", "JobsQueueAgeAlarm"} <= set(prod)
    assert not set(dev.values()) & set(prod.values())


def test_every_function_logs_to_a_group_with_retention(sam):
    parameter = sam["Parameters"]["LogRetentionDays"]
    assert parameter["Default"] == 30
    groups = _of_type(sam, "AWS::Logs::LogGroup")
    functions = _functions(sam)
    assert len(functions) == len(template.FUNCTIONS)
    for logical, function in functions.items():
        name = function["Properties"]["FunctionName"]["Fn::Sub"]
        group = groups[f"{logical}LogGroup"]["Properties"]
        assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{name}"}, logical  # the group Lambda writes to
        assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
        assert f"{logical}LogGroup" in function["DependsOn"]  # exists before the function can log


def test_the_api_has_one_throttled_stage(cloudformation):
    stages = _of_type(cloudformation, "AWS::ApiGateway::Stage")
    assert [s["Properties"]["StageName"] for s in stages.values()] == ["api"]  # no SAM "Stage" stage
    for deployment in _of_type(cloudformation, "AWS::ApiGateway::Deployment").values():
        assert "StageName" not in deployment["Properties"]
    (stage,) = stages.values()
    assert stage["Properties"]["MethodSettings"] == [{
        "HttpMethod": "*", "ResourcePath": "/*", "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"},
        "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"}}]
    assert stage["Properties"]["TracingEnabled"] == {"Fn::If": ["TracingOn", True, False]}


def test_jobs_cannot_take_the_apis_executions(sam, cloudformation):
    (mapping,) = [m for m in _of_type(cloudformation, "AWS::Lambda::EventSourceMapping").values()
                  if m["Properties"]["FunctionName"] == {"Ref": "JobChunk"}]
    assert mapping["Properties"]["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "JobsMaxConcurrency"}}
    queue = sam["Resources"]["JobsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * sam["Resources"]["JobChunk"]["Properties"]["Timeout"]
    reserved = sam["Resources"]["APIHandler"]["Properties"]["ReservedConcurrentExecutions"]
    assert reserved == {"Fn::If": ["ReservesApiConcurrency", {"Ref": "ApiReservedConcurrency"},
                                   {"Ref": "AWS::NoValue"}]}
    assert sam["Parameters"]["ApiReservedConcurrency"]["Default"] == 0  # low-quota accounts still deploy


def test_tables_are_protected_in_prod_and_capped_on_demand(built):
    stage, document = built
    tables = _of_type(document, "AWS::DynamoDB::Table")
    for logical, table in tables.items():
        properties = table["Properties"]
        assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert properties["DeletionProtectionEnabled"] is (stage == "prod"), logical
        assert properties["OnDemandThroughput"]["Fn::If"][0] == "CapsThroughput"
        assert table["DeletionPolicy"] == "Retain"


def test_every_function_knows_the_public_address_from_the_stack(sam, cloudformation):
    for function in _functions(sam).values():
        assert function["Properties"]["Environment"]["Variables"]["PUBLIC_BASE_URL"] == template.PUBLIC_BASE_URL
        assert function["Properties"]["Architectures"] == ["arm64"]
    with_domain, without = template.PUBLIC_BASE_URL["Fn::If"][1:]
    assert with_domain == {"Fn::Sub": "https://${DomainName}"}
    assert without == {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"}
    mapping = cloudformation["Resources"]["ApiBasePath"]
    assert mapping["Condition"] == "HasDomain"
    assert mapping["Properties"] == {"DomainName": {"Ref": "ApiDomain"}, "RestApiId": {"Ref": "RestAPI"},
                                     "Stage": {"Ref": "RestAPIapiStage"}}
    # the API reaches its function by name, so the function may depend on the API (no cycle)
    assert "APIHandler.Arn" not in json.dumps(sam["Resources"]["RestAPI"])


def test_the_deploy_target_sends_the_template_through_the_bucket():
    commands = subprocess.run(["make", "-n", "deploy", "STAGE=prod", "BUCKET=my-artifacts", "ALARM_EMAIL=ops@x.org",
                               "THROTTLE_RATE=20", "DOMAIN_NAME=cards.example.org", "CERTIFICATE_ARN=arn:aws:acm:c"],
                              cwd=ROOT, check=True, capture_output=True, text=True).stdout.replace("\\\n", " ")
    package = next(line for line in commands.splitlines() if "cloudformation package" in line)
    deploy = next(line for line in commands.splitlines() if "cloudformation deploy" in line)
    assert "--s3-bucket my-artifacts" in package and "--template-file out/prod/sam.json" in package
    assert "--s3-bucket my-artifacts" in deploy and "--stack-name loyalty-prod" in deploy
    overrides = re.search(r"--parameter-overrides (.*)", deploy).group(1).split()
    assert set(overrides) == {"AlarmEmail=ops@x.org", "ThrottlingRateLimit=20", "DomainName=cards.example.org",
                              "CertificateArn=arn:aws:acm:c"}
    assert set(p.split("=")[0] for p in overrides) <= set(template.PARAMETERS)
    refused = subprocess.run(["make", "deploy", "STAGE=prod"], cwd=ROOT, capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent"}, check=False)
    assert refused.returncode != 0 and "BUCKET" in refused.stderr and "cloudformation" not in refused.stdout
