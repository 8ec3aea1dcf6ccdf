"""deploy/template.yaml: wired the way the code expects (cfn-lint, a subprocess, checks it is
valid CloudFormation in tests/integration/test_deploy_template_lint.py).

No AWS account is reachable from the tests, so the template is checked by reading it:
handler paths must import, every CARDSETTLE_* variable must be a real setting, the SQS event
source mapping must report partial batch failures, and the queue must outlast a slow
invocation. The end of day's second engine (an ECS Fargate task, issue 18) is read under
both values of EodEngine: the one schedule's target, the task's command and environment
against the Lambda's, and every role's statements.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
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


def _of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """The properties of every resource of one type, by logical id."""
    resources = template["Resources"].items()
    return {name: dict(r["Properties"]) for name, r in resources if r["Type"] == kind}


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
    """One schedule for both engines (EodEngine picks its target): the cutoff is stated once.
    (Until issue 18 the schedule was the function's own ScheduleV2 event.)"""
    eod = _resource(template, "AWS::Serverless::Function", EOD_HANDLER)
    assert "Events" not in eod  # its only trigger is the one schedule below
    [schedule] = _of_type(template, "AWS::Scheduler::Schedule").values()
    assert schedule["ScheduleExpression"] == {"Sub": "cron(${CutoffMinute} ${CutoffHour} * * ? *)"}
    assert schedule["ScheduleExpressionTimezone"] == {"Ref": "BusinessTimezone"}
    assert schedule["FlexibleTimeWindow"] == {"Mode": "OFF"}
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


# -- the end of day past one function's limits: the same code as an ECS Fargate task --------

TASK_MODULE = "settlement.entrypoints.eod_task"
ENGINES = ["lambda", "fargate"]


def _resolved(node: Any, engine: str) -> Any:
    """`node` as CloudFormation deploys it with EodEngine=`engine` (the one condition)."""
    if isinstance(node, dict) and set(node) == {"If"}:
        condition, when_true, when_false = node["If"]
        assert condition == "EodOnFargate", condition
        return _resolved(when_true if engine == "fargate" else when_false, engine)
    if isinstance(node, dict):
        return {key: _resolved(value, engine) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolved(item, engine) for item in node]
    return node


def _deployed(template: dict[str, Any], engine: str) -> dict[str, Any]:
    """The resources that exist with EodEngine=`engine`, their `!If`s decided."""
    kept = {
        name: resource
        for name, resource in template["Resources"].items()
        if resource.get("Condition") in (None, "EodOnFargate" if engine == "fargate" else None)
    }
    return dict(_resolved(kept, engine))


def _references(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["Ref"]} if "Ref" in node else set()
        if "GetAtt" in node:
            found.add(node["GetAtt"].split(".")[0])
        return found.union(*(_references(value) for value in node.values()))
    if isinstance(node, list):
        return set().union(*(_references(item) for item in node))
    return set()


def _container(template: dict[str, Any]) -> dict[str, Any]:
    [task] = _of_type(template, "AWS::ECS::TaskDefinition").values()
    [container] = task["ContainerDefinitions"]
    return dict(container)


def test_eod_engine_is_a_parameter_with_the_lambda_by_default(template: dict[str, Any]) -> None:
    parameter = template["Parameters"]["EodEngine"]
    assert (parameter["Default"], parameter["AllowedValues"]) == ("lambda", ENGINES)
    assert template["Conditions"] == {"EodOnFargate": {"Equals": [{"Ref": "EodEngine"}, "fargate"]}}
    # every ECS resource exists only for the fargate engine; the Lambda exists for both
    fargate_only = {n for n, r in template["Resources"].items() if "Condition" in r}
    ecs = {n for n, r in template["Resources"].items() if r["Type"].startswith("AWS::ECS::")}
    assert ecs and ecs <= fargate_only and "EndOfDayFunction" not in fargate_only


@pytest.mark.parametrize("engine", ENGINES)
def test_every_reference_resolves_under_each_engine(template: dict[str, Any], engine: str) -> None:
    deployed = _deployed(template, engine)
    known = set(deployed) | set(template["Parameters"]) | {"AWS::Region", "AWS::AccountId"}
    known |= {"AWS::StackName", "AWS::Partition", "AWS::NoValue"}
    assert _references(deployed) <= known


@pytest.mark.parametrize("engine", ENGINES)
def test_the_one_schedule_starts_the_engine_the_parameter_names(
    template: dict[str, Any], engine: str
) -> None:
    deployed = _deployed(template, engine)
    [schedule] = [r for r in deployed.values() if r["Type"] == "AWS::Scheduler::Schedule"]
    target = schedule["Properties"]["Target"]
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 2}
    assert target["RoleArn"] == {"GetAtt": "EndOfDayScheduleRole.Arn"}
    role = deployed["EndOfDayScheduleRole"]["Properties"]
    [policy] = role["Policies"]
    allowed = {s["Action"]: s["Resource"] for s in policy["PolicyDocument"]["Statement"]}
    if engine == "lambda":
        assert target == {**target, "Arn": {"GetAtt": "EndOfDayFunction.Arn"}}
        assert "EcsParameters" not in target
        assert allowed == {"lambda:InvokeFunction": {"GetAtt": "EndOfDayFunction.Arn"}}
        return
    assert target["Arn"] == {"GetAtt": "EndOfDayCluster.Arn"}
    ecs = target["EcsParameters"]
    assert ecs["TaskDefinitionArn"] == {"Ref": "EndOfDayTaskDefinition"}
    assert (ecs["LaunchType"], ecs["TaskCount"]) == ("FARGATE", 1)
    # the Lambda's subnets and security groups: the task reaches RDS the way it does
    vpc = ecs["NetworkConfiguration"]["AwsvpcConfiguration"]
    functions = template["Globals"]["Function"]["VpcConfig"]
    assert (vpc["Subnets"], vpc["SecurityGroups"]) == (
        functions["SubnetIds"], functions["SecurityGroupIds"],
    )  # fmt: skip
    assert vpc["AssignPublicIp"] == "DISABLED"
    assert allowed == {
        "ecs:RunTask": {"Ref": "EndOfDayTaskDefinition"},
        "iam:PassRole": [
            {"GetAtt": "EndOfDayTaskRole.Arn"}, {"GetAtt": "EndOfDayTaskExecutionRole.Arn"},
        ],
    }  # fmt: skip


def test_the_task_runs_the_lambdas_end_of_day_from_the_projects_image(
    template: dict[str, Any],
) -> None:
    container = _container(template)
    assert container["Command"] == ["python", "-m", TASK_MODULE]
    assert container["Image"] == {"Ref": "EodImageUri"} and container["Essential"] is True
    task = importlib.import_module(TASK_MODULE)
    assert callable(task.main)
    # it runs the Lambda's own function, not a copy (tests/unit/test_eod_task.py runs it)
    assert "run_and_publish" in inspect.getsource(task)
    logs = container["LogConfiguration"]
    assert logs["LogDriver"] == "awslogs"
    assert logs["Options"]["awslogs-group"] == {"Ref": "EndOfDayLogGroup"}
    assert template["Rules"]["FargateNeedsAnImage"]["Assertions"]


def _lambda_environment(template: dict[str, Any]) -> dict[str, Any]:
    variables = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    eod = _resource(template, "AWS::Serverless::Function", EOD_HANDLER)
    variables.update(eod.get("Environment", {}).get("Variables", {}))
    # a secret resolved at deploy time: {{resolve:secretsmanager:${Arn}:SecretString:key}}
    for name, value in variables.items():
        if isinstance(value, dict) and "resolve:secretsmanager" in str(value.get("Sub")):
            inner = value["Sub"].removeprefix("{{resolve:secretsmanager:").removesuffix("}}")
            arn, kind, key = inner.split(":")
            assert kind == "SecretString"
            variables[name] = ("secret", arn, key)
    return variables


def _task_environment(template: dict[str, Any]) -> dict[str, Any]:
    container = _container(template)
    variables = {pair["Name"]: pair["Value"] for pair in container["Environment"]}
    for secret in container["Secrets"]:
        # injected by ECS at start: ${Arn}:json-key:version-stage:version-id
        arn, key, stage, version = secret["ValueFrom"]["Sub"].split(":")
        assert (stage, version) == ("", "")
        variables[secret["Name"]] = ("secret", arn, key)
    return variables


def test_the_task_gets_the_lambdas_environment(template: dict[str, Any]) -> None:
    """Drift guard: a setting added to one engine and not the other fails here."""
    task = _task_environment(template)
    assert task == _lambda_environment(template)
    assert task["CARDSETTLE_DATABASE_URL"] == ("secret", "${DatabaseUrlSecretArn}", "url")
    assert task["CARDSETTLE_PAN_TOKEN_KEY"] == ("secret", "${PanTokenKeySecretArn}", "key")


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for p in role["Policies"] for s in p["PolicyDocument"]["Statement"]]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.mark.parametrize("engine", ENGINES)
def test_roles_are_least_privilege(template: dict[str, Any], engine: str) -> None:
    roles = _of_type({"Resources": _deployed(template, engine)}, "AWS::IAM::Role")
    for name, role in roles.items():
        for statement in _statements(role):
            assert statement["Effect"] == "Allow", name
            assert not any("*" in a for a in _listed(statement["Action"])), (name, statement)
            if statement["Resource"] == "*":  # ECR's token only: it takes no resource
                assert statement["Action"] == "ecr:GetAuthorizationToken", (name, statement)
    if engine == "lambda":
        return
    # the code in the task publishes payout files and nothing else
    [publish] = _statements(roles["EndOfDayTaskRole"])
    assert publish["Action"] == "s3:PutObject"
    assert publish["Resource"] == {"Sub": "${ReportsBucket.Arn}/reports/*"}
    # ECS, before the code starts: the two secrets, the log group, the image
    execution = {_listed(s["Action"])[0]: s["Resource"] for s in _statements(roles[
        "EndOfDayTaskExecutionRole"])}  # fmt: skip
    assert execution["secretsmanager:GetSecretValue"] == [
        {"Ref": "DatabaseUrlSecretArn"}, {"Ref": "PanTokenKeySecretArn"},
    ]  # fmt: skip
    assert execution["logs:CreateLogStream"] == {"GetAtt": "EndOfDayLogGroup.Arn"}
    assert set(execution) == {
        "secretsmanager:GetSecretValue", "logs:CreateLogStream", "ecr:GetAuthorizationToken",
        "ecr:BatchCheckLayerAvailability",
    }  # fmt: skip


# Lambda gives a function one vCPU per 1,769 MB of memory (AWS Lambda documentation).
LAMBDA_MB_PER_VCPU = 1769


def test_the_task_is_never_the_smaller_engine(template: dict[str, Any]) -> None:
    eod = _resource(template, "AWS::Serverless::Function", EOD_HANDLER)
    parameters = template["Parameters"]
    task_vcpu = int(parameters["EodTaskCpu"]["Default"]) / 1024
    assert task_vcpu >= eod["MemorySize"] / LAMBDA_MB_PER_VCPU
    assert int(parameters["EodTaskMemory"]["Default"]) >= eod["MemorySize"]
    [task] = _of_type(template, "AWS::ECS::TaskDefinition").values()
    assert (task["Cpu"], task["Memory"]) == ({"Ref": "EodTaskCpu"}, {"Ref": "EodTaskMemory"})
    assert task["RequiresCompatibilities"] == ["FARGATE"] and task["NetworkMode"] == "awsvpc"
