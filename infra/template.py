"""The project's own CloudFormation resources, merged into Chalice's SAM template by `make package`:
the DynamoDB tables (generated from the PynamoDB models: the same definitions the code and the tests
use), one IAM role per function with only the actions it uses on the tables, indexes and secrets it
touches, the outbox stream's Lambda, an SQS queue with its dead-letter queue (plus the DLQ of the
scheduled functions), log groups with retention, the API stage's throttling and binary media types, an
optional custom domain, and the alarms with the SNS topic they notify. The stack's parameters
(PARAMETERS) are what an operator chooses at deploy time.

    python -m infra.template --stage dev > out/resources-dev.json
"""
import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from chalicelib import gateway_standin
from chalicelib.config import PROJECT_ROOT, stage_environment
from chalicelib.store import tables
from chalicelib.store.models import ALL_MODELS

APP_NAME = "loyalty"
LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
                      3288, 3653]  # what CloudWatch Logs accepts

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
        "receipts": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_time", "dynamodb:Query@by_card"],
        "devices": ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:PutItem", "dynamodb:DeleteItem",
                    "dynamodb:Query", "dynamodb:Query@by_serial"],
        "outbox": ["dynamodb:PutItem", "dynamodb:GetItem", "dynamodb:DeleteItem", "dynamodb:Query"],  # parked items
        "messages": ["dynamodb:PutItem"],
        "campaigns": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem"],
        "analytics": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        "guards": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        "staff": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        # experiments: made, stopped and reported on; a card joins (Put) and its sales add to it (Update)
        "experiments": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
        "assignments": ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:Query"],
        # the audit trail: append-only, so a new entry (Put, under a not-exists condition) and the owner's
        # listing and export (Query); no Update, Delete or BatchWrite, so no code path can rewrite the trail
        "audit": ["dynamodb:PutItem", "dynamodb:Query"],
    },
    "analytics": {
        "programs": ["dynamodb:Scan", "dynamodb:GetItem"],
        "aliases": ["dynamodb:PutItem", "dynamodb:DeleteItem"],  # a program's upkeep runs under a lease
        "cards": ["dynamodb:Query@by_program"],
        "analytics": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem",
                      "dynamodb:Query"],
        "experiments": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],  # reports' ROMI summaries
        "assignments": ["dynamodb:Query"],
    },
    "tier_review": {
        "programs": ["dynamodb:Scan"],
        "cards": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_tier"],
        "outbox": ["dynamodb:PutItem"],
    },
    "outbox": {
        "outbox": ["dynamodb:Query@by_due", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
        # UpdateItem: an erased member's push tokens blanked once the voiding push went out (usecases/erasure.py)
        "devices": ["dynamodb:BatchGetItem", "dynamodb:DeleteItem", "dynamodb:UpdateItem", "dynamodb:Query@by_serial"],
        "cards": ["dynamodb:GetItem", *ITEM_WRITE, "dynamodb:Query@by_program"],
        "programs": ["dynamodb:GetItem"],
        "messages": ["dynamodb:PutItem"],
        "campaigns": ["dynamodb:UpdateItem"],
        "aliases": ["dynamodb:PutItem", "dynamodb:GetItem"],  # a delayed message's one-time claim
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
    "assignments": ["dynamodb:PutItem"],  # a card joining its trigger's (or campaign's) experiment
}
for _job in ("expire_points", "birthdays", "winback"):
    ACCESS[_job] = TRIGGERS
# The jobs queue's worker does whatever a schedule hands over: card chunks, index walks (chalicelib/queue/chunks.py),
# a program's whole run, and batches of the analytics upkeep (under leases in `aliases`).
ACCESS["job_chunk"] = {**TRIGGERS, "programs": ["dynamodb:GetItem", "dynamodb:Scan"],
                       "cards": [*TRIGGERS["cards"], "dynamodb:Query@by_program"],
                       "aliases": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
                       "campaigns": ["dynamodb:GetItem", "dynamodb:UpdateItem"],
                       "analytics": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                     "dynamodb:DeleteItem", "dynamodb:Query"],
                       "experiments": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"],
                       "assignments": ["dynamodb:PutItem", "dynamodb:Query"]}
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
# Moving members in (usecases/imports.py): the API checks a one-part upload in the request, a chunk checks
# and writes the rest; each member is one transaction (card, aliases, the import entry), the import's own
# items live in `receipts` under the program (store/imports.py), like the providers' settings.
for _function in ("api", "job_chunk"):
    for _table, _actions in {"receipts": ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem",
                                          "dynamodb:DeleteItem", "dynamodb:Query"],
                             "aliases": ["dynamodb:BatchGetItem", "dynamodb:GetItem", "dynamodb:PutItem"],
                             "cards": ["dynamodb:PutItem"], "ledger": ["dynamodb:PutItem"]}.items():
        _granted = ACCESS[_function].get(_table, [])
        ACCESS[_function][_table] = [*_granted, *(a for a in _actions if a not in _granted)]
# A member's data export (usecases/member_export.py, store/member_data.py): its receipts and refunds (by_card,
# keys only) and its assignment in each of the program's experiments, read by key in batches.
for _table in ("receipts", "assignments"):
    ACCESS["api"][_table] = [*ACCESS["api"][_table], "dynamodb:BatchGetItem"]
# Erasing a member (usecases/erasure.py, store/erasure.py): the card read and sealed with its voiding pass update;
# its aliases and guards deleted by key; its messages and outbox items found in its own partitions and deleted;
# its ledger reasons, receipts (by_card), survey comments and import rows (its program's partition in `receipts`)
# and experiment assignments (the program's experiments and campaigns, read by key) blanked. The API's
# POST /admin/cards/{card_id}/erase, and the retention job, which erases through the same use case.
ERASE = {"cards": ["dynamodb:GetItem", "dynamodb:PutItem"],
         "aliases": ["dynamodb:DeleteItem", "dynamodb:BatchGetItem"],  # + the card's MoySklad slots, read by key
         "guards": ["dynamodb:DeleteItem"], "messages": ["dynamodb:Query", "dynamodb:DeleteItem"],
         "outbox": ["dynamodb:Query", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:DeleteItem"],
         "ledger": ["dynamodb:Query", "dynamodb:UpdateItem"],
         "receipts": ["dynamodb:Query@by_card", "dynamodb:Query", "dynamodb:GetItem", "dynamodb:BatchGetItem",
                      "dynamodb:UpdateItem", "dynamodb:DeleteItem"],
         "experiments": ["dynamodb:Query"], "campaigns": ["dynamodb:Query"],
         "assignments": ["dynamodb:BatchGetItem", "dynamodb:UpdateItem"]}
for _table, _actions in ERASE.items():
    _granted = ACCESS["api"].get(_table, [])
    ACCESS["api"][_table] = [*_granted, *(a for a in _actions if a not in _granted)]
# How long members' data is kept (issue 19, jobs/retention.py): the programs scanned for a setting (few), the
# job's progress read and written on the program item, a program's run under a lease; the due members found by
# the day-keyed indexes and read again in batches; old message records and parked outbox items deleted in
# batches; an audit entry per erasure; and the erasures themselves (usecases/erasure.erase): ERASE's grants.
RETENTION = {
    "programs": ["dynamodb:Scan", "dynamodb:GetItem", "dynamodb:UpdateItem"],
    "aliases": ["dynamodb:PutItem", "dynamodb:DeleteItem"],
    "cards": ["dynamodb:BatchGetItem", "dynamodb:Query@by_last_visit", "dynamodb:Query@by_program"],
    "messages": ["dynamodb:Query@by_program", "dynamodb:BatchWriteItem"],
    "outbox": ["dynamodb:Query", "dynamodb:BatchWriteItem"],
    "audit": ["dynamodb:PutItem"],
}
ACCESS["retention"] = {}
for _function in ("retention", "job_chunk"):  # the jobs queue carries a program's retention on (a `retention` task)
    for _table, _actions in [*RETENTION.items(), *ERASE.items()]:
        _granted = ACCESS[_function].get(_table, [])
        ACCESS[_function][_table] = [*_granted, *(a for a in _actions if a not in _granted)]
SECRETS = {
    "api": ["ADMIN_JWT_KEYS_SECRET", "PASS_CERTS_SECRET", "GOOGLE_WALLET_SERVICE_ACCOUNT_SECRET", "TELEGRAM_SECRET",
            "SMS_SECRET", "INTEGRATIONS_SECRET"],
    "tier_review": [],
    "analytics": [],
    "retention": [],
    "outbox": ["PASS_CERTS_SECRET", "APNS_SECRET", "GOOGLE_WALLET_SERVICE_ACCOUNT_SECRET", "TELEGRAM_SECRET"],
}
SECRETS["outbox_stream"] = SECRETS["outbox"]
SECRETS.update({job: ["TELEGRAM_SECRET"]
                for job in ("expire_points", "birthdays", "winback", "campaigns", "job_chunk")})
# may send to the jobs queue
DISPATCHES = ("api", "expire_points", "birthdays", "winback", "campaigns", "job_chunk", "analytics", "retention")
SENDS_EMAIL = ("expire_points", "birthdays", "winback", "campaigns", "job_chunk", "outbox", "outbox_stream", "api")
# accounts: the API invites, re-roles and removes staff in the pool (chalicelib/accounts/cognito.py), nothing more
MANAGES_STAFF = ("api",)
STAFF_POOL_ACTIONS = ["cognito-idp:AdminCreateUser", "cognito-idp:AdminDisableUser", "cognito-idp:AdminEnableUser",
                      "cognito-idp:AdminGetUser",
                      "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminUpdateUserAttributes",
                      "cognito-idp:AdminUserGlobalSignOut"]
# Chalice's logical ids for its functions, and ours for the stream follower.
FUNCTIONS = {"api": "APIHandler", "tier_review": "TierReview", "outbox": "Outbox", "outbox_stream": "OutboxStream",
             "expire_points": "ExpirePoints", "birthdays": "Birthdays", "winback": "Winback", "campaigns": "Campaigns",
             "job_chunk": "JobChunk", "analytics": "Analytics", "retention": "Retention"}
SCHEDULED = ("tier_review", "outbox", "expire_points", "birthdays", "winback", "campaigns", "analytics", "retention")


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def _tables(stage_env: dict[str, str]) -> Iterator[tuple[str, str, dict[str, Any], str | None]]:
    """(short name, logical id, CreateTable definition, TTL attribute) for every model, from the code."""
    prefix = stage_env["TABLE_PREFIX"]
    definitions = {d["TableName"]: d for d in tables.table_definitions(prefix)}
    for model in ALL_MODELS:
        short = tables.short_name(model)
        yield short, f"{_camel(short)}Table", definitions[prefix + short], tables.ttl_attribute(model)


def _table_resource(definition: dict, ttl: str | None, protect: bool) -> dict:
    properties = {key: value for key, value in definition.items()}
    properties["DeletionProtectionEnabled"] = protect  # prod: a table cannot be deleted, not even by the stack
    properties["OnDemandThroughput"] = _if("CapsThroughput", {
        "MaxReadRequestUnits": _if("CapsReads", {"Ref": "TableMaxReadUnits"}),
        "MaxWriteRequestUnits": _if("CapsWrites", {"Ref": "TableMaxWriteUnits"})})
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
    return {"Fn::Sub": "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:"
                       f"{name}-??????"}


def _policy(function: str, logical_tables: dict[str, str], stage_env: dict[str, str]) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = [{
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
    statements.extend(_staff_statements(function))
    statements.extend(_assets_statements(function))
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
    # X-Ray's write actions have no resource-level permissions: "*" is the only resource they take.
    statements.append(_if("TracingOn", {"Sid": "Tracing", "Effect": "Allow",
                                        "Action": ["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
                                        "Resource": "*"}))
    return statements


def _lambda_settings(stage: str) -> dict:
    """Each function's timeout (seconds) as .chalice/config.json gives it for the stage."""
    with open(f"{PROJECT_ROOT}/.chalice/config.json", encoding="utf-8") as handle:
        document = json.load(handle)
    stage_doc = document["stages"][stage]
    default = stage_doc.get("lambda_timeout", document.get("lambda_timeout", 60))
    return {function: stage_doc.get("lambda_functions", {}).get(function, {}).get("lambda_timeout", default)
            for function in FUNCTIONS}


def _if(condition: str, then, otherwise=None) -> dict:
    return {"Fn::If": [condition, then, {"Ref": "AWS::NoValue"} if otherwise is None else otherwise]}


# The stack's parameters: what an operator chooses at deploy time (`make deploy ... VAR=value`).
PARAMETERS = {
    "AlarmEmail": {"Type": "String", "AllowedPattern": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
                   "ConstraintDescription": "an e-mail address",
                   "Description": "Who hears every alarm (an SNS e-mail subscription: confirm the first mail)"},
    "LogRetentionDays": {"Type": "Number", "Default": 30, "AllowedValues": LOG_RETENTION_DAYS,
                         "Description": "Days every function's logs are kept"},
    "Tracing": {"Type": "String", "Default": "off", "AllowedValues": ["on", "off"],
                "Description": "X-Ray tracing for the API stage and every function"},
    "ThrottlingRateLimit": {"Type": "Number", "Default": 100, "MinValue": 1,
                            "Description": "API stage: steady requests per second, all clients together"},
    "ThrottlingBurstLimit": {"Type": "Number", "Default": 200, "MinValue": 1,
                             "Description": "API stage: burst of requests above the rate"},
    "DomainName": {"Type": "String", "Default": "",
                   "Description": "Optional custom domain (e.g. loyalty.example.com); empty: the execute-api URL"},
    "CertificateArn": {"Type": "String", "Default": "",
                       "Description": "ACM certificate for DomainName, in the stack's region (regional endpoint)"},
    "ApiReservedConcurrency": {"Type": "Number", "Default": 0, "MinValue": 0,
                               "Description": "Concurrent executions kept for the API function; 0: none "
                                              "(accounts with a low concurrency quota cannot reserve)"},
    "JobsMaxConcurrency": {"Type": "Number", "Default": 5, "MinValue": 2, "MaxValue": 1000,
                           "Description": "At most this many jobs-queue handlers run at once"},
    "TableMaxReadUnits": {"Type": "Number", "Default": 0, "MinValue": 0,
                          "Description": "Per table on-demand maximum read request units per second; 0: no maximum"},
    "TableMaxWriteUnits": {"Type": "Number", "Default": 0, "MinValue": 0,
                           "Description": "Per table on-demand maximum write request units per second; 0: no maximum"},
}
CONDITIONS = {
    "HasDomain": {"Fn::And": [{"Fn::Not": [{"Fn::Equals": [{"Ref": "DomainName"}, ""]}]},
                              {"Fn::Not": [{"Fn::Equals": [{"Ref": "CertificateArn"}, ""]}]}]},
    "TracingOn": {"Fn::Equals": [{"Ref": "Tracing"}, "on"]},
    "ReservesApiConcurrency": {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiReservedConcurrency"}, "0"]}]},
    "CapsReads": {"Fn::Not": [{"Fn::Equals": [{"Ref": "TableMaxReadUnits"}, "0"]}]},
    "CapsWrites": {"Fn::Not": [{"Fn::Equals": [{"Ref": "TableMaxWriteUnits"}, "0"]}]},
    "CapsThroughput": {"Fn::Or": [{"Condition": "CapsReads"}, {"Condition": "CapsWrites"}]},
}
# Where customers reach the API: the custom domain when given, else the API's own execute-api URL
# (its stage is "api"). Every function gets it from the stack, so links are right on the first deploy.
PUBLIC_BASE_URL = _if("HasDomain", {"Fn::Sub": "https://${DomainName}"},
                      {"Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}/api"})
# API Gateway (REST, Lambda proxy) turns a base64 body back into bytes only when the FIRST media type of
# the request's Accept matches one of these: Safari asks for a pass with "text/html,...,*/*;q=0.8".
# "*/*" matches every Accept; the Lambda base64-encodes only binary answers (passes, images), and API
# Gateway passes the others (JSON, HTML) through untouched (tests/infra/test_binary.py models it).
BINARY_MEDIA_TYPES = ["*/*"]
API_STAGE = "api"


def function_name(function: str) -> dict:
    """Functions have fixed names, so their log groups exist before they run and the API can point at
    the API function without depending on it (the function's PUBLIC_BASE_URL depends on the API)."""
    return {"Fn::Sub": f"${{AWS::StackName}}-{function}"}


def build(stage: str) -> dict:
    env = stage_environment(stage)
    env.pop("PUBLIC_BASE_URL", None)  # the stack's, never a placeholder
    timeouts = _lambda_settings(stage)
    resources, logical_tables = {}, {}
    for short, logical, definition, ttl in _tables(env):
        resources[logical] = _table_resource(definition, ttl, protect=stage == "prod")
        logical_tables[short] = logical
    resources["JobsDeadLetterQueue"] = {"Type": "AWS::SQS::Queue",
                                        "Properties": {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}}
    resources["JobsQueue"] = {"Type": "AWS::SQS::Queue", "Properties": {
        # AWS advises a visibility timeout of six times the handler's timeout (retries within a batch)
        "QueueName": f"{APP_NAME}-{stage}-jobs", "VisibilityTimeout": 6 * timeouts["job_chunk"],
        "SqsManagedSseEnabled": True,
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
        resources[f"{logical}LogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {
            "LogGroupName": {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{function}"},
            "RetentionInDays": {"Ref": "LogRetentionDays"}}}
        variables = {"PUBLIC_BASE_URL": PUBLIC_BASE_URL}
        if function in MANAGES_STAFF:  # its ID tokens are trusted; its users are managed
            variables.update(STAFF_POOL_SETTINGS)
        if function in KEEPS_IMAGES:
            variables["ASSETS_BUCKET"] = {"Ref": "AssetsBucket"}
        if function in DISPATCHES:
            variables["JOBS_QUEUE_URL"] = {"Ref": "JobsQueue"}
        properties = {"FunctionName": function_name(function), "Role": {"Fn::GetAtt": [role, "Arn"]},
                      "Tracing": _if("TracingOn", "Active", "PassThrough"),
                      "Environment": {"Variables": variables}}
        if function in SCHEDULED:
            properties["DeadLetterQueue"] = {"Type": "SQS", "TargetArn": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}}
        if function == "api":  # kept for the API, so a flood of jobs can never take its executions
            properties["ReservedConcurrentExecutions"] = _if("ReservesApiConcurrency",
                                                             {"Ref": "ApiReservedConcurrency"})
        if function == "job_chunk":  # a 200,000-card campaign never takes every execution the API needs
            properties["Events"] = {"JobChunkSqsEventSource": {"Properties": {
                "ScalingConfig": {"MaximumConcurrency": {"Ref": "JobsMaxConcurrency"}}}}}
        # Chalice writes its functions' other properties; the stream follower is ours entirely.
        resources[logical] = {"DependsOn": [f"{logical}LogGroup"], "Properties": properties}
    resources["OutboxStream"]["Type"] = "AWS::Serverless::Function"
    resources["OutboxStream"]["Properties"].update({
        "Runtime": "python3.13", "Handler": "app.outbox_stream", "CodeUri": "./deployment.zip",
        "Architectures": [_architecture(stage)], "Layers": [{"Ref": "ManagedLayer"}], "MemorySize": 512,
        "Timeout": 60,
        "Environment": {"Variables": {**env, "PUBLIC_BASE_URL": PUBLIC_BASE_URL}},
        "Events": {"OutboxChanges": {"Type": "DynamoDB", "Properties": {
            "Stream": {"Fn::GetAtt": ["OutboxTable", "StreamArn"]}, "StartingPosition": "LATEST", "BatchSize": 25,
            "MaximumBatchingWindowInSeconds": 1, "MaximumRetryAttempts": 3, "BisectBatchOnFunctionError": True,
            "DestinationConfig": {"OnFailure": {"Type": "SQS",
                                                "Destination": {"Fn::GetAtt": ["JobsDeadLetterQueue", "Arn"]}}}}}}})
    resources["RestAPI"] = {"Properties": {
        "Name": f"{APP_NAME}-{stage}",  # the alarms' ApiName: dev and prod share an account, not a name
        "OpenApiVersion": "2.0",  # without it the SAM transform adds a second, public stage named "Stage"
        "TracingEnabled": _if("TracingOn", True, False),
        "MethodSettings": [{"ResourcePath": "/*", "HttpMethod": "*",
                            "ThrottlingRateLimit": {"Ref": "ThrottlingRateLimit"},
                            "ThrottlingBurstLimit": {"Ref": "ThrottlingBurstLimit"}}],
        "DefinitionBody": {"info": {"title": f"{APP_NAME}-{stage}"},
                           "x-amazon-apigateway-binary-media-types": BINARY_MEDIA_TYPES,
                           # an unknown route: our 404, not API Gateway's 403 that echoes the Authorization header
                           "x-amazon-apigateway-gateway-responses": gateway_standin.GATEWAY_RESPONSES}}}
    resources["ApiDomain"] = {"Type": "AWS::ApiGateway::DomainName", "Condition": "HasDomain", "Properties": {
        "DomainName": {"Ref": "DomainName"}, "RegionalCertificateArn": {"Ref": "CertificateArn"},
        "EndpointConfiguration": {"Types": ["REGIONAL"]}, "SecurityPolicy": "TLS_1_2"}}
    resources["ApiBasePath"] = {"Type": "AWS::ApiGateway::BasePathMapping", "Condition": "HasDomain", "Properties": {
        "DomainName": {"Ref": "ApiDomain"}, "RestApiId": {"Ref": "RestAPI"}, "Stage": {"Ref": "RestAPI.Stage"}}}
    resources.update(_staff_pool(stage))
    resources["AssetsBucket"] = ASSETS_BUCKET
    resources["AlarmTopic"] = {"Type": "AWS::SNS::Topic", "Properties": {
        "DisplayName": f"{APP_NAME} {stage} alarms"}}
    resources["AlarmEmailSubscription"] = {"Type": "AWS::SNS::Subscription", "Properties": {
        "TopicArn": {"Ref": "AlarmTopic"}, "Protocol": "email", "Endpoint": {"Ref": "AlarmEmail"}}}
    resources.update(_alarms(stage, logical_tables))
    outputs: dict[str, dict[str, Any]] = {_camel(name.lower()): {
        "Value": env[name], "Description": f"{name}: a Secrets Manager name (values never enter the template)"}
        for name in sorted({n for names in SECRETS.values() for n in names}) if env.get(name)}
    outputs["PublicBaseUrl"] = {"Value": PUBLIC_BASE_URL, "Description": "PUBLIC_BASE_URL of every function"}
    outputs["DomainTarget"] = {"Condition": "HasDomain", "Value": {"Fn::GetAtt": ["ApiDomain", "RegionalDomainName"]},
                               "Description": "point DomainName here (DNS CNAME or alias record)"}
    outputs["AlarmTopicArn"] = {"Value": {"Ref": "AlarmTopic"}, "Description": "SNS topic every alarm notifies"}
    outputs["StaffUserPoolId"] = {"Value": {"Ref": "StaffUserPool"},
                                  "Description": "COGNITO_USER_POOL_ID: the console's users (cli staff invite)"}
    outputs["StaffConsoleClientId"] = {"Value": {"Ref": "StaffConsoleClient"},
                                       "Description": "COGNITO_CLIENT_ID: the console's app client"}
    return {"Parameters": PARAMETERS, "Conditions": CONDITIONS, "Resources": resources, "Outputs": outputs}


# --- accounts: the staff's user pool -------------------------------------------------------------
STAFF_POOL_SETTINGS = {"COGNITO_USER_POOL_ID": {"Ref": "StaffUserPool"},
                       "COGNITO_CLIENT_ID": {"Ref": "StaffConsoleClient"},
                       "COGNITO_REGION": {"Ref": "AWS::Region"}}
TOKEN_MINUTES = 15  # ID and access tokens: a removed member's open console works at most this long
REFRESH_DAYS = 30


def _staff_statements(function: str) -> list[dict[str, Any]]:
    if function not in MANAGES_STAFF:
        return []
    return [{"Sid": "StaffAccounts", "Effect": "Allow", "Action": STAFF_POOL_ACTIONS,
             "Resource": {"Fn::GetAtt": ["StaffUserPool", "Arn"]}}]


def _staff_pool(stage: str) -> dict[str, Any]:
    """The merchants' staff sign in here: the e-mail is the user name (any case), only the API creates users
    (invitations), MFA by an authenticator app is offered, a forgotten password is reset through the
    verified e-mail. The console's app client has no secret (it runs in a browser) and cannot write the
    merchant and role claims, so nobody promotes themself; the e-mail, which is also our record's, stays
    fixed too."""
    pool = {"Type": "AWS::Cognito::UserPool", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
            "Properties": {
                "UserPoolName": {"Fn::Sub": "${AWS::StackName}-staff"},
                "UsernameAttributes": ["email"],
                "UsernameConfiguration": {"CaseSensitive": False},
                "AutoVerifiedAttributes": ["email"],
                "Schema": [{"Name": name, "AttributeDataType": "String", "Mutable": True,
                            "StringAttributeConstraints": {"MinLength": "1", "MaxLength": "64"}}
                           for name in ("merchant", "role")],
                "MfaConfiguration": "OPTIONAL",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {"PasswordPolicy": {"MinimumLength": 12, "RequireLowercase": True,
                                                "RequireUppercase": True, "RequireNumbers": True,
                                                "RequireSymbols": True, "TemporaryPasswordValidityDays": 7}},
                "AccountRecoverySetting": {"RecoveryMechanisms": [{"Name": "verified_email", "Priority": 1}]},
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "DeletionProtection": "ACTIVE" if stage == "prod" else "INACTIVE",
                "UserPoolTags": {"app": APP_NAME, "stage": stage}}}
    client = {"Type": "AWS::Cognito::UserPoolClient", "Properties": {
        "UserPoolId": {"Ref": "StaffUserPool"}, "ClientName": "console", "GenerateSecret": False,
        "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        "AccessTokenValidity": TOKEN_MINUTES, "IdTokenValidity": TOKEN_MINUTES, "RefreshTokenValidity": REFRESH_DAYS,
        "TokenValidityUnits": {"AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days"},
        "EnableTokenRevocation": True, "PreventUserExistenceErrors": "ENABLED",
        "ReadAttributes": ["email", "email_verified", "name", "custom:merchant", "custom:role"],
        "WriteAttributes": ["name"]}}
    return {"StaffUserPool": pool, "StaffConsoleClient": client}


def staff_pool_requests(stage: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The same pool and client as CreateUserPool and CreateUserPoolClient parameters (less the pool's id):
    the local stack makes its stand-in's pool from this one definition. MFA is SetUserPoolMfaConfig's."""
    resources = _staff_pool(stage)
    pool = {key: value for key, value in resources["StaffUserPool"]["Properties"].items()
            if key not in ("UserPoolName", "EnabledMfas", "MfaConfiguration")}
    client = {key: value for key, value in resources["StaffConsoleClient"]["Properties"].items()
              if key != "UserPoolId"}
    return pool, client


# --- the programs' uploaded card images (README: Card images) ---------------------------------------
KEEPS_IMAGES = {"api"}  # uploads, the public image route and the .pkpass all run in the API function
# Private and encrypted: the API serves the images itself (long-cached, content-addressed URLs), so the
# bucket needs no public access. Kept when the stack goes, like the tables: the passes in people's
# wallets point at these files.
ASSETS_BUCKET = {"Type": "AWS::S3::Bucket", "DeletionPolicy": "Retain", "UpdateReplacePolicy": "Retain",
                 "Properties": {
                     "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                         {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]},
                     "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
                     "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}}}


def _assets_statements(function: str) -> list[dict[str, Any]]:
    if function not in KEEPS_IMAGES:
        return []
    # ListBucket makes a missing file S3's 404 (not a 403), which the public image route answers as 404
    return [{"Sid": "ImageFiles", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
             "Resource": {"Fn::Sub": "${AssetsBucket.Arn}/programs/*"}},
            {"Sid": "ImageList", "Effect": "Allow", "Action": ["s3:ListBucket"],
             "Resource": {"Fn::GetAtt": ["AssetsBucket", "Arn"]}}]


def _architecture(stage: str) -> str:
    with open(f"{PROJECT_ROOT}/.chalice/config.json", encoding="utf-8") as handle:
        document = json.load(handle)
    return document["stages"][stage].get("lambda_architecture", document.get("lambda_architecture", "x86_64"))


def finish(sam: dict) -> dict:
    """What a merge cannot say: API Gateway calls the API function by its fixed name's ARN rather than
    through `APIHandler.Arn`, which would make the API depend on the function that depends on it."""
    arn = ("arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"
           + function_name("api")["Fn::Sub"])
    body = sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    text = json.dumps(body)
    if "${APIHandler.Arn}" not in text:
        raise SystemExit("Chalice's API no longer points at ${APIHandler.Arn}: update infra/template.finish")
    sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"] = json.loads(text.replace("${APIHandler.Arn}", arn))
    return sam


def _alarms(stage: str, logical_tables: dict) -> dict:
    """Every alarm tells the SNS topic when it fires and when it clears. Each one names this stage's
    own resources (functions, queues and tables by their stack-made names, the API by its stage name),
    so dev's trouble never rings prod's alarm."""
    def alarm(description: str, namespace: str, metric: str, dimensions: list[dict[str, Any]], threshold: int, *,
              statistic: str = "Sum", periods: int = 1, period: int = 300) -> dict[str, Any]:
        properties = {
            "AlarmDescription": f"{APP_NAME} {stage}: {description}", "Namespace": namespace,
            "MetricName": metric, "Dimensions": dimensions, "Period": period, "EvaluationPeriods": periods,
            "Threshold": threshold, "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": [{"Ref": "AlarmTopic"}], "OKActions": [{"Ref": "AlarmTopic"}]}
        if statistic.startswith("p"):
            properties["ExtendedStatistic"] = statistic
        else:
            properties["Statistic"] = statistic
        return {"Type": "AWS::CloudWatch::Alarm", "Properties": properties}

    api = [{"Name": "ApiName", "Value": f"{APP_NAME}-{stage}"}, {"Name": "Stage", "Value": API_STAGE}]
    alarms = {
        "Api5xxAlarm": alarm("the API answers 5xx (server errors)", "AWS/ApiGateway", "5XXError", api, 5),
        "ApiLatencyAlarm": alarm("the API's p99 latency is above 5 s", "AWS/ApiGateway", "Latency", api, 5000,
                                 statistic="p99", periods=3),
        "DeadLetterAlarm": alarm("jobs or outbox deliveries failed for good (dead-letter queue not empty)",
                                 "AWS/SQS", "ApproximateNumberOfMessagesVisible",
                                 [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobsDeadLetterQueue", "QueueName"]}}],
                                 1, statistic="Maximum"),
        "JobsQueueAgeAlarm": alarm("a fanned-out job has waited in the jobs queue over 30 minutes", "AWS/SQS",
                                   "ApproximateAgeOfOldestMessage",
                                   [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobsQueue", "QueueName"]}}],
                                   1800, statistic="Maximum"),
        "OutboxStreamAgeAlarm": alarm("the outbox stream's follower is over 5 minutes behind", "AWS/Lambda",
                                      "IteratorAge", [{"Name": "FunctionName", "Value": {"Ref": "OutboxStream"}}],
                                      300000, statistic="Maximum"),
        "OutboxAgeAlarm": alarm("wallet updates and messages are waiting over 10 minutes in the outbox",
                                "Loyalty", "OutboxOldestAgeSeconds", [{"Name": "Stage", "Value": stage}], 600,
                                statistic="Maximum", periods=2),
        # usecases/audit.py: an admin write's audit entry could not be written, even on a second try
        "AuditWriteFailedAlarm": alarm("an audit-trail entry could not be written", "Loyalty", "AuditWriteFailed",
                                       [{"Name": "Stage", "Value": stage}], 1),
    }
    for function, logical in FUNCTIONS.items():
        name = [{"Name": "FunctionName", "Value": {"Ref": logical}}]
        alarms[f"{logical}ErrorsAlarm"] = alarm(f"the {function} function failed", "AWS/Lambda", "Errors", name, 1)
        alarms[f"{logical}ThrottlesAlarm"] = alarm(f"the {function} function was throttled", "AWS/Lambda",
                                                   "Throttles", name, 1)
    for short, logical in logical_tables.items():
        table = [{"Name": "TableName", "Value": {"Ref": logical}}]
        for kind in ("Read", "Write"):
            alarms[f"{logical}{kind}ThrottleAlarm"] = alarm(f"DynamoDB throttled {kind.lower()}s on {short}",
                                                            "AWS/DynamoDB", f"{kind}ThrottleEvents", table, 1)
    return alarms




def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=("dev", "prod"))
    args = parser.parse_args()
    json.dump(build(args.stage), sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
