"""Compares docs/openapi.yaml with the Python client: every operation (method and path), every
request field and query parameter, every reply field (nested objects included) and every
problem type must have its counterpart. Each check returns the list of what is missing, so a
test can assert it is empty and another can prove the check notices a gap.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import inspect
import typing
from typing import Any

from tally_client import BatchRequest, TallyClient, errors
from tally_client._codec import field_types
from tally_client._operations import operations_of

HTTP_METHODS = ("get", "put", "post", "delete", "patch")

# Request fields that are arrays of objects, and the client type that carries each item.
REQUEST_ITEM_TYPES = {("batch", "requests"): BatchRequest}


def load_spec(path: str) -> dict:
    try:
        import yaml  # Debian: python3-yaml
    except ImportError as e:  # a missing checker must not pass as a passing check
        raise SystemExit("python3-yaml is needed to read docs/openapi.yaml (scripts/setup.sh installs it)") from e
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def resolve(spec: dict, schema: Any) -> Any:
    while isinstance(schema, dict) and "$ref" in schema:
        node: Any = spec
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def spec_operations(spec: dict):
    """(operationId, METHOD, path, operation) for every operation of the file."""
    for path, item in spec["paths"].items():
        for method in HTTP_METHODS:
            if method in item:
                op = item[method]
                yield op.get("operationId", f"{method} {path}"), method.upper(), path, op


def object_properties(spec: dict, schema: Any) -> list[dict]:
    """The property maps an object schema may have: one per oneOf/anyOf variant, allOf merged."""
    schema = resolve(spec, schema)
    if not isinstance(schema, dict):
        return []
    if "allOf" in schema:
        merged: dict = {}
        for part in schema["allOf"]:
            for props in object_properties(spec, part):
                merged.update(props)
        merged.update(schema.get("properties", {}))
        return [merged] if merged else []
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants:
        out = []
        for v in variants:
            out += object_properties(spec, v)
        return out
    return [schema["properties"]] if "properties" in schema else []


# ---- operations ----

def check_operations(spec: dict, client_cls: type = TallyClient) -> list[str]:
    registered = operations_of(client_cls)
    missing = []
    in_spec = set()
    for op_id, method, path, _ in spec_operations(spec):
        in_spec.add(op_id)
        entry = registered.get(op_id)
        if entry is None:
            missing.append(f"operation {op_id} ({method} {path}): no client method")
            continue
        name, op = entry
        if (op.method, op.path) != (method, path):
            missing.append(f"operation {op_id}: spec says {method} {path}, {name} sends {op.method} {op.path}")
    for op_id, (name, _) in registered.items():
        if op_id not in in_spec:
            missing.append(f"client method {name} names operation {op_id}, which docs/openapi.yaml lacks")
    return missing


# ---- requests ----

def check_request_fields(spec: dict, client_cls: type = TallyClient) -> list[str]:
    registered = operations_of(client_cls)
    missing = []
    for op_id, method, path, op in spec_operations(spec):
        if op_id not in registered:
            continue  # reported by check_operations
        name, _ = registered[op_id]
        sig = inspect.signature(getattr(client_cls, name))
        params = set(sig.parameters) - {"self"}
        wanted: dict[str, str] = {}
        for p in op.get("parameters", []):
            p = resolve(spec, p)
            if p["in"] == "query":
                wanted[p["name"]] = "query parameter"
            elif p["in"] == "header" and p["name"].lower() == "idempotency-key":
                wanted["idempotency_key"] = "Idempotency-Key header"
        body = op.get("requestBody")
        if body:
            body = resolve(spec, body)
            schema = body.get("content", {}).get("application/json", {}).get("schema")
            for props in object_properties(spec, schema):
                for field, field_schema in props.items():
                    wanted[field] = "body field"
                    item_type = REQUEST_ITEM_TYPES.get((op_id, field))
                    items = resolve(spec, resolve(spec, field_schema).get("items"))
                    if item_type is not None and isinstance(items, dict):
                        have = {f.name for f in dataclasses.fields(item_type)}
                        for sub in items.get("properties", {}):
                            if sub not in have:
                                missing.append(f"{op_id}: {field}[].{sub} has no field in {item_type.__name__}")
        path_params = path.count("{")
        positional = [p for p in sig.parameters.values() if p.name != "self" and p.kind == p.POSITIONAL_OR_KEYWORD]
        if len(positional) < path_params:
            missing.append(f"{op_id}: {path} has {path_params} path parameter(s), {name} takes {len(positional)}")
        # The account of a path is a positional argument, not a body field: `open_account(id)`.
        for field, what in sorted(wanted.items()):
            if field not in params and f"{field}_" not in params:  # `from_` for `from`
                missing.append(f"{op_id}: {what} '{field}' is not a parameter of {name}")
    return missing


# ---- replies ----

def _unwrap(tp: Any) -> Any:
    if typing.get_origin(tp) is typing.Union:
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


def _scalar_ok(spec: dict, raw_schema: Any, schema: dict, tp: Any) -> bool:
    ref = raw_schema.get("$ref", "") if isinstance(raw_schema, dict) else ""
    if isinstance(raw_schema, dict) and "allOf" in raw_schema and len(raw_schema["allOf"]) == 1:
        ref = raw_schema["allOf"][0].get("$ref", "")
    if ref.endswith("/Amount"):
        return tp is decimal.Decimal
    if schema.get("format") == "date-time" or ref.endswith("Time"):
        return tp is datetime.datetime
    kind = schema.get("type")
    if kind == "integer":
        return tp is int
    if kind == "boolean":
        return tp is bool
    if kind == "string":
        return tp in (str, decimal.Decimal)
    return True  # oneOf scalars and the like: any


def check_schema(spec: dict, raw_schema: Any, tp: Any, where: str, out: list[str]) -> None:
    schema = resolve(spec, raw_schema)
    if not isinstance(schema, dict):
        return
    tp = _unwrap(tp)
    variants = object_properties(spec, schema)
    if variants:
        if tp in (dict, Any) or typing.get_origin(tp) is dict and not dataclasses.is_dataclass(typing.get_args(tp)[1]):
            out.append(f"{where}: an object with fields in the spec, a plain dict in the client")
            return
        if not dataclasses.is_dataclass(tp):
            out.append(f"{where}: an object in the spec, {tp} in the client")
            return
        have = field_types(tp)
        for props in variants:
            for name, sub in props.items():
                if name not in have:
                    out.append(f"{where}.{name}: no field in {tp.__name__}")
                else:
                    check_schema(spec, sub, have[name], f"{where}.{name}", out)
        return
    if schema.get("type") == "array" or "items" in schema:
        if typing.get_origin(tp) is not list and tp is not list:
            out.append(f"{where}: an array in the spec, {tp} in the client")
            return
        args = typing.get_args(tp)
        if args:
            check_schema(spec, schema.get("items", {}), args[0], f"{where}[]", out)
        return
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict) and object_properties(spec, extra):
        if typing.get_origin(tp) is not dict:
            out.append(f"{where}: a map of objects in the spec, {tp} in the client")
            return
        check_schema(spec, extra, typing.get_args(tp)[1], f"{where}{{}}", out)
        return
    if schema.get("type") == "object" or tp in (dict, Any):
        return
    if not _scalar_ok(spec, raw_schema, schema, tp):
        out.append(f"{where}: {schema.get('type')} {schema.get('format', '')} in the spec, {getattr(tp, '__name__', tp)} in the client")


def check_reply_fields(spec: dict, client_cls: type = TallyClient) -> list[str]:
    registered = operations_of(client_cls)
    out: list[str] = []
    for op_id, _, _, op in spec_operations(spec):
        if op_id not in registered:
            continue
        name, operation = registered[op_id]
        for status_text, response in op.get("responses", {}).items():
            status = int(status_text)
            if not 200 <= status < 300:
                continue
            response = resolve(spec, response)
            content = response.get("content", {})
            model = operation.responses.get(status)
            if model is None:
                out.append(f"{op_id}: the spec answers {status}, {name} has no model for it")
                continue
            if "application/json" in content:
                check_schema(spec, content["application/json"].get("schema"), model, f"{op_id} {status}", out)
            elif model is not str:
                out.append(f"{op_id} {status}: a text answer, {name} decodes {model}")
    return out


# ---- problems ----

def check_problems(spec: dict) -> list[str]:
    out = []
    types = set(resolve(spec, spec["components"]["schemas"]["Problem"])["properties"]["type"].get("enum", []))

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            types.update(node.get("x-problem-types", []))
            for v in node.values():
                collect(v)
        elif isinstance(node, list):
            for v in node:
                collect(v)

    collect(spec)
    for t in sorted(types):
        if t not in errors.PROBLEM_TYPES:
            out.append(f"problem type {t}: no exception class")
    # Every field of a problem is an attribute of the error of the types that carry it.
    problem = {"shortfall": "2", "shortfall_micro": 2000000, "budget": {"id": "b"}}
    samples = [errors.InsufficientCredits("insufficient_credits", 402, "d", "t", problem),
               errors.BudgetExceeded("budget_exceeded", 402, "d", "t", problem)]
    properties = resolve(spec, spec["components"]["schemas"]["Problem"])["properties"]
    for field, schema in properties.items():
        if not any(hasattr(sample, field) for sample in samples):
            out.append(f"Problem.{field}: no attribute on TallyError/InsufficientCredits/BudgetExceeded")
        elif field == "budget":
            check_schema(spec, schema, type(samples[1].budget), "Problem.budget", out)
    return out


def check_all(spec: dict) -> list[str]:
    return check_operations(spec) + check_request_fields(spec) + check_reply_fields(spec) + check_problems(spec)
