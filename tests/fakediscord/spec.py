"""Discord's OpenAPI description (vendored in `spec/`), used to check requests and responses.

Every REST request the bot sends is matched to its operation; its path and query parameters and its body are
checked against the operation's schemas (JSON Schema 2020-12, the dialect of OpenAPI 3.1, `$ref`s resolved
into `components`). The fake's own answers are checked against the response schemas. Validators are compiled
once per schema and kept for the test session; a body already found valid, and a response shape already
found valid, are not checked again. The short allowlist of forgiven differences is below ("the allowlist").
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, relevance
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).parent / "spec" / "openapi.json"
SPEC_URI = "urn:discord-openapi"


@dataclass(frozen=True)
class Operation:
    method: str  # upper case
    template: str  # "/channels/{channel_id}/messages"
    operation_id: str
    pointer: str  # JSON pointer of the operation inside the spec

    def statuses(self) -> list[str]:
        return list(_spec()["paths"][self.template][self.method.lower()].get("responses", {}))


@cache
def _spec() -> dict[str, Any]:
    return json.loads(SPEC_FILE.read_text(encoding="utf-8"))


@cache
def _registry() -> Registry:
    return Registry().with_resource(SPEC_URI, Resource(contents=_fast_spec(), specification=DRAFT202012))


@cache
def _fast_spec() -> dict[str, Any]:
    """The spec with each union whose branches are told apart by a `type` value (components, interaction
    callbacks, command options) rewritten as if/then on that value: the same rules, but only the matching
    branch is checked, not all of them (a plain oneOf over 10+ component kinds made validation slow)."""
    spec = copy.deepcopy(_spec())

    def resolve(node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node and seen < 10:
            node, seen = _resolve(node["$ref"]), seen + 1
        return node

    def tags(branch: Any) -> list[Any] | None:
        branch = resolve(branch)
        if not isinstance(branch, dict):
            return None
        prop = resolve((branch.get("properties") or {}).get("type"))
        if not isinstance(prop, dict) or "type" not in (branch.get("required") or []):
            return None
        if "const" in prop:
            return [prop["const"]]
        if isinstance(prop.get("enum"), list):
            return list(prop["enum"])
        return None

    def rewrite(node: Any) -> Any:
        if isinstance(node, list):
            return [rewrite(n) for n in node]
        if not isinstance(node, dict):
            return node
        node = {k: rewrite(v) for k, v in node.items()}
        for key in ("oneOf", "anyOf"):
            branches = node.get(key)
            if not isinstance(branches, list) or len(branches) < 3:
                continue
            if all(
                isinstance(b, dict) and "const" in b and set(b) <= {"const", "title", "description"}
                for b in branches
            ):
                node.pop(key)  # an enum written as a union of constants
                node["enum"] = [b["const"] for b in branches]
                continue
            values = [tags(b) for b in branches]
            flat = [v for vs in values if vs for v in vs]
            if any(v is None for v in values) or len(flat) != len(set(map(repr, flat))):
                continue
            node.pop(key)
            node.setdefault("allOf", [])
            node["allOf"] = [
                *node["allOf"],
                {"required": ["type"], "properties": {"type": {"enum": flat}}},
                *(
                    {"if": {"properties": {"type": {"enum": vs}}, "required": ["type"]}, "then": b}
                    for vs, b in zip(values, branches, strict=True)
                ),
            ]
        return node

    spec["paths"] = rewrite(spec["paths"])
    spec["components"] = rewrite(spec["components"])
    return spec


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@cache
def _routes() -> list[tuple[re.Pattern[str], str, int]]:
    """Path templates as regexes; a literal segment (`@me`, `@original`) wins over a parameter."""
    routes = []
    for template in _spec()["paths"]:
        parts = template.strip("/").split("/")
        rx = "".join("/[^/]+" if part.startswith("{") else "/" + re.escape(part) for part in parts)
        params = sum(part.startswith("{") for part in parts)
        routes.append((re.compile(f"^{rx}$"), template, params))
    routes.sort(key=lambda r: r[2])
    return routes


def operation(method: str, path: str) -> Operation | None:
    """The spec's operation for `METHOD /path` (path relative to /api/v10), or None if Discord has none."""
    for rx, template, _ in _routes():
        if rx.match(path):
            op = _spec()["paths"][template].get(method.lower())
            if op is None:
                continue
            pointer = f"/paths/{_escape(template)}/{method.lower()}"
            return Operation(method.upper(), template, op.get("operationId", ""), pointer)
    return None


@cache
def _validator(pointer: str) -> Draft202012Validator | None:
    """A compiled validator for the schema at `pointer` (None if the spec has no schema there)."""
    node: Any = _spec()
    for token in pointer.strip("/").split("/"):
        token = token.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        elif isinstance(node, dict) and token in node:
            node = node[token]
        else:
            return None
    schema = {"$ref": f"{SPEC_URI}#{pointer}"}
    return Draft202012Validator(schema, registry=_registry())


def _resolve(ref: str) -> Any:
    node: Any = _spec()
    for token in ref.removeprefix("#/").split("/"):
        node = node[token.replace("~1", "/").replace("~0", "~")]
    return node


def _response_pointer(op: Operation, status: int) -> str | None:
    responses = _spec()["paths"][op.template][op.method.lower()].get("responses", {})
    key = str(status) if str(status) in responses else (f"{str(status)[0]}XX" if status >= 400 else None)
    if key is None or key not in responses:
        return None
    response = responses[key]
    base = f"{op.pointer}/responses/{key}"
    if "$ref" in response:
        base = response["$ref"].removeprefix("#")
        response = _resolve(response["$ref"])
    if "application/json" not in response.get("content", {}):
        return None
    return f"{base}/content/application~1json/schema"


def documented_status(op: Operation, status: int) -> bool:
    """Whether the spec lists this success status for the operation (e.g. 201 for thread creation)."""
    return str(status) in op.statuses()


# ---------------------------------------------------------------- the allowlist
# Only where Discord's own sources disagree, or where discord.py sends, for every bot, something the spec's
# strict schema refuses but Discord accepts. Each entry rewrites the request into the spec's form BEFORE
# validation; nothing else is forgiven.
#  - snowflakes as JSON integers: discord.py sends `allowed_mentions.users` / `.roles`, `recipient_id`
#    (Create DM) and `attachments[].id` as numbers; the spec's SnowflakeType is a string.
#  - `default_member_permissions`: a string in the docs ("Application Command Object"), an integer or null in
#    the OpenAPI request schema; discord.py sends an integer. A string of digits is accepted too.


def _as_spec_form(item: dict[str, Any]) -> None:
    mentions = item.get("allowed_mentions")
    if isinstance(mentions, dict):
        for key in ("users", "roles"):
            if isinstance(mentions.get(key), list):
                mentions[key] = [str(x) if isinstance(x, int) else x for x in mentions[key]]
    if isinstance(item.get("recipient_id"), int):
        item["recipient_id"] = str(item["recipient_id"])
    for attachment in item.get("attachments") or []:
        if isinstance(attachment, dict) and isinstance(attachment.get("id"), int):
            attachment["id"] = str(attachment["id"])
    perms = item.get("default_member_permissions")
    if isinstance(perms, str) and perms.isdigit():
        item["default_member_permissions"] = int(perms)


def _normalise_request(body: Any) -> Any:
    if not isinstance(body, dict | list):
        return body
    body = copy.deepcopy(body)
    for item in body if isinstance(body, list) else [body]:
        if isinstance(item, dict):
            _as_spec_form(item)
            if isinstance(item.get("data"), dict):  # an interaction callback carries its message in `data`
                _as_spec_form(item["data"])
    return body


def _normalise_response(data: Any) -> Any:
    """The spec types the `code` of a field error (`_errors[].code`) as an integer, but the docs' "Error
    Messages" examples and Discord itself use strings such as "BASE_TYPE_MAX_LENGTH": the fake answers as the
    docs do, so only here is a string code read as the spec's form."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key == "_errors" and isinstance(value, list):
                out[key] = [{**e, "code": 0} if isinstance(e.get("code"), str) else e for e in value]
            else:
                out[key] = _normalise_response(value)
        return out
    return data


# ---------------------------------------------------------------- validation


def request_errors(op: Operation, body: Any, content_type: str) -> list[ValidationError]:
    """Schema violations in a request body (JSON or multipart `payload_json`)."""
    method_node = _spec()["paths"][op.template][op.method.lower()]
    request = method_node.get("requestBody")
    if request is None:
        return []
    if body is None:
        if request.get("required"):
            return [ValidationError("a request body is required")]
        return []
    validator = _validator(f"{op.pointer}/requestBody/content/application~1json/schema")
    if validator is None:
        return []
    key = (op.pointer, json.dumps(body, sort_keys=True))
    if key in _valid_requests:  # the very same body was valid before (many replies repeat)
        return []
    errors = list(validator.iter_errors(_normalise_request(body)))
    if not errors:
        _valid_requests.add(key)
        return []
    return [_deepest(max(errors, key=relevance))]


_valid_requests: set[tuple[str, str]] = set()
_valid_response_shapes: set[tuple[str, int, str]] = set()


def _shape(node: Any) -> Any:
    """The structure of a response (keys and JSON types, list items merged), not its values: the fake builds
    values itself, so a shape once valid stays valid and need not be checked again."""
    if isinstance(node, dict):
        return {k: _shape(v) for k, v in sorted(node.items())}
    if isinstance(node, list):
        return sorted({json.dumps(_shape(v), sort_keys=True) for v in node})
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int | float):
        return "n"
    return "s" if not isinstance(node, str) or node else ""


def parameter_errors(op: Operation, path: str, query: Any) -> list[ValidationError]:
    """Path parameters (snowflakes) and the query parameters the operation documents, each checked against
    its schema. Query strings are typed first: reference "Boolean Query Strings" (true/false/1/0), integers.
    Query parameters Discord does not document are ignored, as Discord ignores them."""
    path_item = _spec()["paths"][op.template]
    method_node = path_item[op.method.lower()]
    values = dict(zip(op.template.strip("/").split("/"), path.strip("/").split("/"), strict=False))
    problems = []
    for where, params in (
        ("", path_item.get("parameters") or []),
        (op.method.lower(), method_node.get("parameters") or []),
    ):
        for i, param in enumerate(params):
            name, kind = param.get("name"), param.get("in")
            if kind == "path":
                raw = values.get("{" + name + "}")
            elif kind == "query":
                raw = query.get(name) if query is not None else None
            else:
                continue
            if raw is None:
                continue
            pointer = f"/paths/{_escape(op.template)}{'/' + where if where else ''}/parameters/{i}/schema"
            validator = _validator(pointer)
            if validator is None:
                continue
            schema = param.get("schema") or {}
            value: Any = raw
            if schema.get("type") == "integer" or schema.get("type") == ["integer", "null"]:
                value = int(raw) if re.fullmatch(r"-?\d+", raw) else raw
            elif schema.get("type") == "boolean":
                value = {"true": True, "1": True, "false": False, "0": False}.get(raw.lower(), raw)
            for error in validator.iter_errors(value):
                error.path.appendleft(name)
                problems.append(error)
    return problems[:1]


def response_errors(op: Operation, status: int, body: Any) -> list[ValidationError]:
    """Schema violations in a response the fake gives (an undocumented status counts as one)."""
    if status == 204 or body is None:
        if status < 300 and not documented_status(op, status):
            return [ValidationError(f"status {status} is not documented for {op.operation_id}")]
        return []
    if status < 300 and not documented_status(op, status):
        return [ValidationError(f"status {status} is not documented for {op.operation_id}")]
    pointer = _response_pointer(op, status)
    if pointer is None:
        return []
    validator = _validator(pointer)
    if validator is None:
        return []
    key = (pointer, status, json.dumps(_shape(body), sort_keys=True))
    if key in _valid_response_shapes:
        return []
    errors = list(validator.iter_errors(_normalise_response(body)))
    if not errors:
        _valid_response_shapes.add(key)
    return [_deepest(e) for e in errors[:5]]


def _deepest(error: ValidationError) -> ValidationError:
    """Inside an anyOf/oneOf, the error of the branch the body meant, as deep as it goes: Discord names the
    field at fault, not the whole union. A branch is not meant if the value is of another JSON type (e.g. the
    `null` of a nullable field) or its `type` discriminator differs."""
    while error.context:
        here = list(error.absolute_path)
        branches: dict[Any, list[ValidationError]] = {}
        for sub in error.context:
            branches.setdefault(sub.relative_schema_path[0], []).append(sub)

        def score(errors: list[ValidationError], here: list[Any] = here) -> tuple[bool, int]:
            leaves = _leaves(errors)
            other = any(
                (e.validator == "type" and list(e.absolute_path) == here)
                or (e.validator in ("enum", "const") and list(e.absolute_path) == [*here, "type"])
                for e in leaves
            )
            return other, len(leaves)

        best = min(branches.values(), key=score)
        error = max(best, key=lambda e: len(e.absolute_path))
    return error


def _leaves(errors: list[ValidationError]) -> list[ValidationError]:
    out: list[ValidationError] = []
    for e in errors:
        out.extend(_leaves(list(e.context)) if e.context else [e])
    return out


def nested_errors(error: ValidationError) -> dict[str, Any]:
    """A schema violation as Discord reports it: `{"embeds": {"0": {"title": {"_errors": [...]}}}}`."""
    code, message = _error_code(error)
    leaf: dict[str, Any] = {"_errors": [{"code": code, "message": message}]}
    for key in reversed(list(error.absolute_path)):
        leaf = {str(key): leaf}
    return leaf


def _error_code(error: ValidationError) -> tuple[str, str]:
    """Discord's codes for the common kinds of invalid field ("Error Messages" in the docs' opcodes page)."""
    kind = error.validator
    if kind == "maxLength":
        return "BASE_TYPE_MAX_LENGTH", f"Must be {error.validator_value} or fewer in length."
    if kind == "minLength":
        return "BASE_TYPE_MIN_LENGTH", f"Must be {error.validator_value} or more in length."
    if kind == "maxItems":
        return "BASE_TYPE_MAX_LENGTH", f"Must be {error.validator_value} or fewer in length."
    if kind == "minItems":
        return "BASE_TYPE_MIN_LENGTH", f"Must be {error.validator_value} or more in length."
    if kind == "required":
        return "BASE_TYPE_REQUIRED", "This field is required"
    if kind == "type":
        return "BASE_TYPE_BAD_TYPE", f"Value is not of type {error.validator_value}: {error.message}"
    if kind in ("pattern", "enum", "const"):
        return "BASE_TYPE_CHOICES", f"Value is not valid: {error.message}"
    return "INVALID_FORM_BODY", error.message


def describe(error: ValidationError) -> str:
    where = "/".join(str(k) for k in error.absolute_path) or "(body)"
    return f"{where}: {error.message[:300]}"
