"""The synthesised app as tests read it: the parent stack with its nested stacks (the API,
docs/decisions/0009) folded in — each nested resource's parameter references replaced by the
values the parent passes, and the parent's references to nested outputs by those outputs — so an
assertion like "this method invokes that function" reads the same wherever the resource lives.
The real templates (each ≤ 500 resources) are kept for the limits and cfn-lint."""

from __future__ import annotations

import json
from typing import Any


def nested_stacks(stack: Any) -> list[Any]:
    from aws_cdk import NestedStack

    return [c for c in stack.node.find_all() if isinstance(c, NestedStack)]


def real_templates(stack: Any) -> dict[str, dict[str, Any]]:
    """Construct path → the template CloudFormation receives (parent first)."""
    from aws_cdk.assertions import Template

    out = {stack.node.path: Template.from_stack(stack).to_json()}
    for nested in nested_stacks(stack):
        out[nested.node.path] = Template.from_stack(nested).to_json()
    return out


def whole_template(stack: Any) -> dict[str, Any]:
    from aws_cdk import Stack
    from aws_cdk.assertions import Template

    parent = Template.from_stack(stack).to_json()
    text = json.dumps(parent)
    merged_resources: dict[str, Any] = {}
    for nested in nested_stacks(stack):
        rid = Stack.of(nested.nested_stack_resource).get_logical_id(nested.nested_stack_resource)
        child = Template.from_stack(nested).to_json()
        params = parent["Resources"][rid]["Properties"].get("Parameters", {})
        child_text = json.dumps(child.get("Resources", {}))
        for name, value in params.items():
            child_text = child_text.replace(json.dumps({"Ref": name}), json.dumps(value))
        merged_resources.update(json.loads(child_text))
        for name, output in child.get("Outputs", {}).items():
            reference = json.dumps({"Fn::GetAtt": [rid, f"Outputs.{name}"]})
            text = text.replace(reference, json.dumps(output["Value"]))
    whole = json.loads(text)
    clash = set(whole["Resources"]) & set(merged_resources)
    assert not clash, f"logical ids in both the parent and a nested stack: {sorted(clash)}"
    whole["Resources"].update(merged_resources)
    return whole
