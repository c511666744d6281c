"""The project's own CloudFormation resources, merged into Chalice's SAM template by `make package`:
the DynamoDB tables (generated from the PynamoDB models: the same definitions the code and the tests
use), one IAM role per function with only the actions it uses on the tables, indexes and secrets it
touches, the outbox stream's Lambda, an SQS queue with its dead-letter queue (plus the DLQ of the
scheduled functions), and the alarms.

    python -m infra.template --stage dev > out/resources-dev.json
"""
import argparse
import json
import sys

from chalicelib.config import stage_environment

APP_NAME = "loyalty"

# What each function does to each table: the least-privilege map (tests check it against the code's needs).
ITEM_WRITE = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:ConditionCheckItem"]
ACCESS = {
    "api": {
        "merchants": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Scan"],
        "programs": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_merchant"],
        "pos_keys": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query@by_program"],
        "aliases": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
        "cards": ["dynamodb:GetItem", "dynamodb:BatchGetItem", *ITEM_WRITE, "dynamodb:Query@by_program"],
        "ledger": ["dynamodb:PutItem", "dynamodb:ConditionCheckItem", "dynamodb:Query", "dynamodb:Query@by_program"],
        "receipts": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_time"],
        "devices": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                    "dynamodb:Query", "dynamodb:Query@by_serial"],
        "outbox": ["dynamodb:PutItem"],
        "messages": ["dynamodb:PutItem"],
        "campaigns": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "analytics": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
    },
    "analytics": {
        "programs": ["dynamodb:Scan"],
        "cards": ["dynamodb:Query@by_program"],
        "analytics": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                      "dynamodb:Query"],
    },
    "tier_review": {
        "programs": ["dynamodb:Scan"],
        "cards": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_tier"],
        "outbox": ["dynamodb:PutItem"],
    },
    "outbox": {
        "outbox": ["dynamodb:Query@by_due", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        "devices": ["dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:Query@by_serial"],
        "cards": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_program"],
        "programs": ["dynamodb:GetItem"],
        "messages": ["dynamodb:PutItem"],
        "campaigns": ["dynamodb:UpdateItem"],
    },
}
TRIGGERS = {
    "programs": ["dynamodb:Scan"],
    "cards": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_expiry", "dynamodb:Query@by_birthday",
              "dynamodb:Query@by_last_visit"],
    "ledger": ["dynamodb:PutItem", "dynamodb:ConditionCheckItem"],
    "receipts": ["dynamodb:GetItem", *ITEM_WRITE],
    "aliases": ["dynamodb:PutItem"],
    "outbox": ["dynamodb:PutItem"],
    "messages": ["dynamodb:PutItem"],
    "analytics": ["dynamodb:UpdateItem"],
}
for _job in ("expire_points", "birthdays", "winback"):
    ACCESS[_job] = TRIGGERS
ACCESS["job_chunk"] = {**TRIGGERS, "cards": ["dynamodb:GetItem", *ITEM_WRITE],
                       "campaigns": ["dynamodb:GetItem", "dynamodb:UpdateItem"]}
ACCESS["campaigns"] = {**TRIGGERS, "cards": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_program"],
                       "analytics": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
                       "campaigns": ["dynamodb:Query", "dynamodb:UpdateItem"]}
ACCESS["outbox_stream"] = {**ACCESS["outbox"], "outbox": [*ACCESS["outbox"]["outbox"], "dynamodb:GetItem"]}
# A campaign's send (the API, the campaigns job, a chunk): per-card claims read, taken over or given back,
# a message record read back by a resumed send, the campaign's counters read (store/campaigns.py).
for _function in ("api", "campaigns", "job_chunk"):
    for _table, _actions in {"aliases": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                         "dynamodb:DeleteItem"],
                             "messages": ["dynamodb:Query"], "campaigns": ["dynamodb:GetItem"]}.items():
        _granted = ACCESS[_function].get(_table, [])
        ACCESS[_function][_table] = [*_granted, *(a for a in _actions if a not in _granted)]
SECRETS = {
    "api": ["ADMIN_JWT_KEYS_SECRET", "PASS_CERTS_SECRET", "GOOGLE_WALLET_SERVICE_ACCOUNT_SECRET", "TELEGRAM_SECRET"],
    "tier_review": [],
    "analytics": [],
    "outbox": ["PASS_CERTS_SECRET", "APNS_SECRET", "GOOGLE_WALLET_SERVICE_ACCOUNT_SECRET", "TELEGRAM_SECRET"],
}
SECRETS["outbox_stream"] = SECRETS["outbox"]
SECRETS.update({job: ["TELEGRAM_SECRET"] for job in ("expire_points", "birthdays", "winback", "campaigns", "job_chunk")})
DISPATCHES = ("api", "expire_points", "birthdays", "winback", "campaigns")  # may fan out to the jobs queue
SENDS_EMAIL = ("expire_points", "birthdays", "winback", "campaigns", "job_chunk", "outbox", "outbox_stream", "api")
# Chalice's logical ids for its functions, and ours for the stream follower.
FUNCTIONS = {"api": "APIHandler", "tier_review": "TierReview", "outbox": "Outbox", "outbox_stream": "OutboxStream",
             "expire_points": "ExpirePoints", "birthdays": "Birthdays", "winback": "Winback", "campaigns": "Campaigns",
             "job_chunk": "JobChunk", "analytics": "Analytics"}
SCHEDULED = ("tier_review", "outbox", "expire_points", "birthdays", "winback", "campaigns", "analytics")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _tables(stage_env: dict):
    """(short name, logical id, CreateTable definition, TTL attribute) for every model, from the code."""
    from chalicelib.store import tables

    prefix = stage_env["TABLE_PREFIX"]
    definitions = {d["TableName"]: d for d in tables.table_definitions(prefix)}
    for model in tables.ALL_MODELS:
        short = tables.short_name(model)
        yield short, f"{_camel(short)}Table", definitions[prefix + short], tables.ttl_attribute(model)


def _table_resource(definition: dict, ttl: str | None) -> dict:
    properties = {key: value for key, value in definition.items()}
    if "StreamSpecification" in properties:  # CloudFormation takes only the view type
        properties["StreamSpecification"] = {"StreamViewType": properties["StreamSpecification"]["StreamViewType"]}
    properties["PointInTimeRecoverySpecification"] = {"PointInTimeRecoveryEnabled": True}
    properties["SSESpecification"] = {"SSEEnabled": True}
    if ttl:
        properties["TimeToLiveSpecification"] = {"AttributeName": ttl, "Enabled": True}
    return {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": properties}


def _secret_arn(name: str) -> dict:
    # Secrets Manager appends six random characters to a secret's ARN.
    return {"Fn::Sub": f"arn:${{AWS::Partition}}:secretsmanager:${{AWS::Region}}:${{AWS::AccountId}}:secret:{name}-??????"}


def _policy(function: str, logical_tables: dict, stage_env: dict) -> list[dict]:
    statements = [{
        "Sid": "Logs",
        "Effect": "Allow",
        "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
        "Resource": {"Fn::Sub": "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:"
                                "/aws/lambda/${AWS::StackName}-*"},
    }]
    for short, actions in ACCESS[function].items():
        logical = logical_tables[short]
        on_table = sorted({a for a in actions if "@" not in a})
        if on_table:
            statements.append({"Sid": f"{_camel(short)}Items", "Effect": "Allow", "Action": on_table,
                               "Resource": {"Fn::GetAtt": [logical, "Arn"]}})
        for action in sorted(a for a in actions if "@" in a):
            verb, index = action.split("@")
            statements.append({"Sid": f"{_camel(short)}{_camel(index)}", "Effect": "Allow", "Action": [verb],
                               "Resource": {"Fn::Sub": f"${{{logical}.Arn}}/index/{index}"}})
    secrets = [stage_env[name] for name in SECRETS[function] if stage_env.get(name)]
    if secrets:
        statements.append({"Sid": "Secrets", "Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"],
                           "Resource": [_secret_arn(name) for name in secrets]})
    if function in SENDS_EMAIL and stage_env.get("EMAIL_FROM"):
        domain = stage_env["EMAIL_FROM"].split("@")[-1]
        statements.append({"Sid": "Email", "Effect": "Allow", "Action": ["ses:SendEmail"],
                           "Resource": {"Fn::Sub": f"arn:${{AWS::Partition}}:ses:${{AWS::Region}}:"
                                                   f"${{AWS::AccountId}}:identity/{domain}"}})
    if function in DISPATCHES:
        statements.append({"Sid": "FanOut", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                           "Resource": {"Fn::GetAtt": ["JobsQueue", "Arn"]}})
    if function == "job_chunk":
        statements.append({"Sid": "JobsQueue", "Effect": "Allow",
                           "Action": ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"],
                           "Resource": {"Fn::GetAtt": ["JobsQueue", "Arn"]}})
    if function in SCHEDULED:
        statements.append({"Sid": "DeadLetters", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                           "Resource": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}})
    if function == "outbox_stream":
        statements.append({"Sid": "OutboxStream", "Effect": "Allow",
                           "Action": ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator",
                                      "dynamodb:ListStreams"],
                           "Resource": {"Fn::GetAtt": ["OutboxTable", "StreamArn"]}})
        statements.append({"Sid": "StreamFailures", "Effect": "Allow", "Action": ["sqs:SendMessage"],
                           "Resource": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}})
    return statements


def build(stage: str) -> dict:
    env = stage_environment(stage)
    resources, logical_tables = {}, {}
    for short, logical, definition, ttl in _tables(env):
        resources[logical] = _table_resource(definition, ttl)
        logical_tables[short] = logical
    resources["JobsDeadLetterQueue"] = {"Type": "AWS::SQS::Queue",
                                        "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}}
    resources["JobsQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": f"{APP_NAME}-{stage}-jobs", "VisibilityTimeout": 900, "SqsManagedSseEnabled": True,
        "RedrivePolicy": {"deadLetterTargetArn": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]},
                          "maxReceiveCount": 5}}}
    for function, logical in FUNCTIONS.items():
        role = f"{logical}Role"
        resources[role] = {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [{
                "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": f"{function}-least-privilege",
                          "PolicyDocument": {"Version": "2012-10-17",
                                             "Statement": _policy(function, logical_tables, env)}}]}}
        if function != "outbox_stream":  # Chalice's own function: only its role, DLQ and queue URL are ours
            properties = {"Role": {"Fn::GetAtt": [role, "Arn"]}}
            if function in DISPATCHES:
                properties["Environment"] = {"Variables": {"JOBS_QUEUE_URL": {"Ref": "JobsQueue"}}}
            if function in SCHEDULED:
                properties["DeadLetterQueue"] = {"Type": "SQS",
                                                 "TargetArn": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}}
            resources[logical] = {"Properties": properties}
    resources["OutboxStream"] = {"Type": "AWS::Serverless::Function", "Properties": {
        "Runtime": "python3.13", "Handler": "app.outbox_stream", "CodeUri": "./deployment.zip",
        "Layers": [{"Ref": "ManagedLayer"}], "MemorySize": 512, "Timeout": 60,
        "Role": {"Fn::GetAtt": ["OutboxStreamRole", "Arn"]},
        "Environment": {"Variables": env},
        "Events": {"OutboxChanges": {"Type": "DynamoDB", "Properties": {
            "Stream": {"Fn::GetAtt": ["OutboxTable", "StreamArn"]}, "StartingPosition": "LATEST", "BatchSize": 25,
            "MaximumBatchingWindowInSeconds": 1, "MaximumRetryAttempts": 3, "BisectBatchOnFunctionError": True,
            "DestinationConfig": {"OnFailure": {"Type": "SQS",
                                                "Destination": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}}}}}}}}
    resources.update(_alarms(stage))
    outputs = {_camel(name.lower()): {"Value": env[name],
                                      "Description": f"{name}: a Secrets Manager name (values never enter the template)"}
               for name in sorted({n for names in SECRETS.values() for n in names}) if env.get(name)}
    return {"Resources": resources, "Outputs": outputs}


def _alarms(stage: str) -> dict:
    def alarm(description, namespace, metric, dimensions, statistic, threshold, periods=1, period=300):
        return {"Type": "AWS::CloudWatch::Alarm", "Properties": {
            "AlarmDescription": description, "Namespace": namespace, "MetricName": metric,
            "Dimensions": dimensions, "Statistic": statistic, "Period": period, "EvaluationPeriods": periods,
            "Threshold": threshold, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching"}}

    return {
        "Api5xxAlarm": alarm("API answers 5xx (server errors)", "AWS/ApiGateway", "5XXError",
                             [{"Name": "ApiName", "Value": APP_NAME}], "Sum", 5),
        "DeadLetterAlarm": alarm("Jobs or outbox deliveries failed for good (dead-letter queue not empty)",
                                 "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                 [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobsDeadLetterQueue", "QueueName"]}}],
                                 "Maximum", 1),
        "OutboxAgeAlarm": alarm("Wallet updates are waiting too long in the outbox", "Loyalty", "OutboxAgeSeconds",
                                [{"Name": "Stage", "Value": stage}], "Maximum", 600, periods=2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    args = parser.parse_args()
    json.dump(build(args.stage), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
