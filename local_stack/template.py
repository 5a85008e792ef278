"""Read template.yaml, the one definition of the stack, for the local (moto) stack.

CloudFormation short tags (!Ref, !GetAtt, !Sub, ...) are loaded as their long forms so the
tables, functions and state-machine wiring can be reproduced exactly as SAM would deploy them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "template.yaml"


class _CfnLoader(yaml.SafeLoader):
    """SafeLoader that understands CloudFormation's short-form intrinsic tags."""


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]
        return {name: value}

    return construct


for _short, _long in {
    "!Ref": "Ref",
    "!GetAtt": "Fn::GetAtt",
    "!Sub": "Fn::Sub",
    "!Join": "Fn::Join",
    "!If": "Fn::If",
    "!Equals": "Fn::Equals",
    "!Not": "Fn::Not",
    "!And": "Fn::And",
    "!Or": "Fn::Or",
    "!Select": "Fn::Select",
    "!Split": "Fn::Split",
    "!FindInMap": "Fn::FindInMap",
    "!ImportValue": "Fn::ImportValue",
    "!GetAZs": "Fn::GetAZs",
    "!Condition": "Condition",
}.items():
    _CfnLoader.add_constructor(_short, _tag(_long))


@lru_cache(maxsize=1)
def load_template(path: Path = TEMPLATE) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass


def resources_of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: r for name, r in load_template()["Resources"].items() if r.get("Type") == kind}


def sub_stack_name(value: Any, stack_name: str) -> str:
    """Resolve ``!Sub "${AWS::StackName}-x"`` (the only form table names use)."""
    if isinstance(value, dict) and "Fn::Sub" in value:
        value = value["Fn::Sub"]
    return str(value).replace("${AWS::StackName}", stack_name)


def table_definitions(stack_name: str) -> list[dict[str, Any]]:
    """``create_table`` arguments of every table, from the template's key schema."""
    tables = []
    for resource in resources_of_type("AWS::DynamoDB::Table").values():
        props = resource["Properties"]
        spec: dict[str, Any] = {
            "TableName": sub_stack_name(props["TableName"], stack_name),
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if props.get("GlobalSecondaryIndexes"):
            spec["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        ttl = props.get("TimeToLiveSpecification")
        tables.append({"create": spec, "ttl": ttl})
    return tables


@dataclass(frozen=True)
class FunctionDef:
    logical_id: str
    module: str  # e.g. functions.phase_init.app
    attr: str  # e.g. handler
    environment: dict[str, Any]
    timeout: int


def function_definitions() -> dict[str, FunctionDef]:
    """Every Lambda of the template with the Python module and attribute of its handler."""
    globals_ = load_template().get("Globals", {}).get("Function", {})
    functions = {}
    for logical_id, resource in resources_of_type("AWS::Serverless::Function").items():
        props = resource["Properties"]
        module_file, attr = props["Handler"].rsplit(".", 1)
        code_uri = str(props["CodeUri"]).strip("/").replace("/", ".")
        env = dict(globals_.get("Environment", {}).get("Variables", {}))
        env.update(props.get("Environment", {}).get("Variables", {}))
        functions[logical_id] = FunctionDef(
            logical_id=logical_id,
            module=f"{code_uri}.{module_file}",
            attr=attr,
            environment=env,
            timeout=int(props.get("Timeout", globals_.get("Timeout", 3))),
        )
    return functions


def substitution_function(key: str, value: Any) -> str:
    """The function a DefinitionSubstitution names: ``!GetAtt Fn.Arn`` or ``!Ref Fn.Alias``.

    ``Fn.Alias`` is the alias SAM creates for ``AutoPublishAlias`` (the SnapStart version); the
    local stack has no versions, so both resolve to the local function.
    """
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return str(value["Fn::GetAtt"][0])
    if isinstance(value, dict) and str(value.get("Ref", "")).endswith(".Alias"):
        return str(value["Ref"]).removesuffix(".Alias")
    raise ValueError(f"unsupported substitution for {key}: {value!r}")


def state_machine_definition(function_arns: dict[str, str]) -> str:
    """The ASL file of the state machine with its DefinitionSubstitutions applied."""
    (resource,) = resources_of_type("AWS::Serverless::StateMachine").values()
    props = resource["Properties"]
    text = (ROOT / props["DefinitionUri"]).read_text(encoding="utf-8")
    for key, value in props.get("DefinitionSubstitutions", {}).items():
        text = text.replace("${" + key + "}", function_arns[substitution_function(key, value)])
    json.loads(text)  # fail early on a broken definition
    return text
