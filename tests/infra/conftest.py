"""The real deployment artifact, built once for the infra tests: `make package STAGE=prod` into a
temporary directory (Chalice's SAM template merged with ours, the app bundle and the layer), and the
template as CloudFormation sees it after the SAM transform."""
import copy
import json
import os
from unittest import mock

import pytest


@pytest.fixture(scope="session")
def packaged(tmp_path_factory):
    from infra.package import package

    out = package("prod", lint=False, out=tmp_path_factory.mktemp("package") / "prod")
    return out


@pytest.fixture(scope="session")
def sam(packaged):
    return json.loads((packaged / "sam.json").read_text())


def sam_transform(template: dict) -> dict:
    """What the AWS::Serverless transform makes of the template (as after `aws cloudformation package`,
    the code's local paths become S3 locations)."""
    from samtranslator.translator.transform import transform

    document = copy.deepcopy(template)
    for resource in document["Resources"].values():
        for key in ("CodeUri", "ContentUri"):
            if key in resource.get("Properties", {}):
                resource["Properties"][key] = f"s3://bucket/{resource['Properties'][key].lstrip('./')}"
    policies = mock.Mock()
    policies.load.return_value = {}
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": "eu-central-1"}):
        return transform(document, {}, policies)


@pytest.fixture(scope="session")
def cloudformation(sam):
    return sam_transform(sam)
