"""deploy/template.yaml: wired the way the code expects (cfn-lint, a subprocess, checks it is
valid CloudFormation in tests/integration/test_deploy_template_lint.py).

No AWS account is reachable from the tests, so the template is checked by reading it:
handler paths must import, every CARDSETTLE_* variable must be a real setting, the SQS event
source mapping must report partial batch failures, and the queue must outlast a slow
invocation.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml

from settlement.config import ENV_PREFIX, Settings
from settlement.entrypoints.lambdas import LAMBDA_BATCH_SIZE

TEMPLATE = Path(__file__).resolve().parents[2] / "deploy" / "template.yaml"
GATEWAY_HANDLER = "settlement.entrypoints.lambdas.gateway_handler"
EOD_HANDLER = "settlement.entrypoints.lambdas.eod_handler"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref, !Sub, !GetAtt ... as {"Ref": ...} style dicts instead of failing."""


def _intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        assert isinstance(node, yaml.MappingNode)
        value = loader.construct_mapping(node, deep=True)
    return {suffix: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    loaded = yaml.load(TEMPLATE.read_text(), Loader=_CloudFormationLoader)
    assert isinstance(loaded, dict)
    return loaded


def _resource(template: dict[str, Any], kind: str, handler: str) -> dict[str, Any]:
    for resource in template["Resources"].values():
        if resource["Type"] == kind and resource["Properties"].get("Handler") == handler:
            return dict(resource["Properties"])
    raise AssertionError(f"no {kind} with handler {handler}")


def _handler(dotted: str) -> Any:
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_it_is_a_sam_template(template: dict[str, Any]) -> None:
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    assert template["Globals"]["Function"]["Runtime"] == "python3.11"


def test_gateway_is_the_lambda_handler_behind_an_sqs_mapping(template: dict[str, Any]) -> None:
    gateway = _resource(template, "AWS::Serverless::Function", GATEWAY_HANDLER)
    assert callable(_handler(GATEWAY_HANDLER))
    (event,) = gateway["Events"].values()
    assert event["Type"] == "SQS"
    mapping = event["Properties"]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    # gateway_batches records a Lambda batch's consumer batch size from the constant
    assert mapping["BatchSize"] == LAMBDA_BATCH_SIZE == 10
    assert mapping["Queue"] == {"GetAtt": "TransactionsQueue.Arn"}
    assert "MaximumBatchingWindowInSeconds" in mapping
    assert mapping["ScalingConfig"]["MaximumConcurrency"] == {"Ref": "MaximumConcurrency"}


def test_queue_outlasts_the_gateway_and_dead_letters_after_max_receive_count(
    template: dict[str, Any],
) -> None:
    gateway = _resource(template, "AWS::Serverless::Function", GATEWAY_HANDLER)
    queue = template["Resources"]["TransactionsQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * gateway["Timeout"]
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"GetAtt": "TransactionsDeadLetterQueue.Arn"},
        "maxReceiveCount": {"Ref": "MaxReceiveCount"},
    }
    assert template["Resources"]["TransactionsDeadLetterQueue"]["Type"] == "AWS::SQS::Queue"


def test_end_of_day_runs_on_a_schedule_at_the_cutoff_in_the_business_timezone(
    template: dict[str, Any],
) -> None:
    eod = _resource(template, "AWS::Serverless::Function", EOD_HANDLER)
    (event,) = eod["Events"].values()
    assert event["Type"] == "ScheduleV2"
    schedule = event["Properties"]
    assert schedule["ScheduleExpression"] == {"Sub": "cron(${CutoffMinute} ${CutoffHour} * * ? *)"}
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "BusinessTimezone"}
    module = EOD_HANDLER.rpartition(".")[0]
    if importlib.util.find_spec(module) is not None:  # the entry point may still be in the works
        assert callable(_handler(EOD_HANDLER))


def test_functions_are_configured_only_through_real_settings(template: dict[str, Any]) -> None:
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    ours = [name for name in variables if name.startswith(ENV_PREFIX)]
    unknown = [n for n in ours if n.removeprefix(ENV_PREFIX).lower() not in Settings.model_fields]
    assert ours and unknown == []
    assert variables["CARDSETTLE_CUTOFF_TIME"] == {"Sub": "${CutoffHour}:${CutoffMinute}"}
    # real SQS and S3 in the cloud: never the embedded moto inside the function
    assert variables["CARDSETTLE_AWS_MODE"] == "aws"
    assert "CARDSETTLE_AWS_ENDPOINT_URL" not in variables
    # secrets come from Secrets Manager, never as plain parameters
    for secret in ("CARDSETTLE_DATABASE_URL", "CARDSETTLE_PAN_TOKEN_KEY"):
        assert "resolve:secretsmanager" in variables[secret]["Sub"]


def test_functions_reach_rds_inside_the_vpc(template: dict[str, Any]) -> None:
    vpc = template["Globals"]["Function"]["VpcConfig"]
    assert vpc == {
        "SubnetIds": {"Ref": "SubnetIds"},
        "SecurityGroupIds": {"Ref": "SecurityGroupIds"},
    }
    assert template["Resources"]["ReportsBucket"]["Type"] == "AWS::S3::Bucket"
