"""
The HTTP API reference page, written from C{openocpp/web/openapi.json} when
the site is built (C{conf.py} calls L{write}): every endpoint by tag, with
its parameters, request body and answers, then every schema with its
properties. The page is not kept in the repository: it is always the
document's.

C{python docs/openapi_page.py} prints the page.
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOCUMENT = os.path.join(os.path.dirname(HERE), "openocpp", "web", "openapi.json")
PAGE = os.path.join(HERE, "_generated", "http-api.md")
METHODS = ("get", "put", "post", "patch", "delete")


def _cell(text) -> str:
    # One table cell: no line breaks, no bare pipes.
    return " ".join(str(text).split()).replace("|", "\\|")


def _anchor(name: str) -> str:
    return "schema-" + name.lower()


def _type(schema: dict) -> str:
    """
    A schema in a few words: a link to a named one, the type, the enum.
    """
    if not schema:
        return "any"
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{_anchor(name)})"
    for combiner in ("oneOf", "anyOf", "allOf"):
        if combiner in schema:
            return f" {'or' if combiner != 'allOf' else 'and'} ".join(_type(part) for part in schema[combiner])
    kind = schema.get("type", "any")
    if isinstance(kind, list):
        kind = " or ".join(kind)
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if "enum" in schema:
        return f"{kind}: " + ", ".join(f"`{value}`" for value in schema["enum"])
    if "format" in schema:
        return f"{kind} ({schema['format']})"
    return kind


def _body(content: dict) -> str:
    return "; ".join(f"{_type(media.get('schema', {}))} ({kind})" for kind, media in content.items())


def _operation(lines: list, path: str, method: str, operation: dict, shared: list) -> None:
    lines += [f"### `{method.upper()} {path}`", ""]
    lines += [_cell(operation.get("summary", "")) + ".", ""]
    if operation.get("description"):
        lines += [" ".join(operation["description"].split()), ""]
    if operation.get("security") == []:
        lines += ["No token needed.", ""]
    parameters = shared + operation.get("parameters", [])
    if parameters:
        lines += ["| parameter | in | required | type | meaning |", "| --- | --- | --- | --- | --- |"]
        for parameter in parameters:
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {'yes' if parameter.get('required') else 'no'} "
                f"| {_cell(_type(parameter.get('schema', {})))} | {_cell(parameter.get('description', ''))} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        required = "required" if body.get("required") else "optional"
        lines += [f"Request body ({required}): {_body(body.get('content', {}))}.", ""]
    lines += ["| status | meaning | body |", "| --- | --- | --- |"]
    for status, answer in operation.get("responses", {}).items():
        lines.append(f"| {status} | {_cell(answer.get('description', ''))} | {_cell(_body(answer.get('content', {})))} |")
    lines.append("")


def _schema(lines: list, name: str, schema: dict) -> None:
    lines += [f"({_anchor(name)})=", f"### {name}", ""]
    if schema.get("description"):
        lines += [" ".join(schema["description"].split()), ""]
    properties = schema.get("properties")
    if not properties:
        lines += [_type(schema), ""]
        return
    required = set(schema.get("required", ()))
    lines += ["| property | type | required | meaning |", "| --- | --- | --- | --- |"]
    for key, value in properties.items():
        lines.append(
            f"| `{key}` | {_cell(_type(value))} | {'yes' if key in required else 'no'} "
            f"| {_cell(value.get('description', ''))} |"
        )
    lines.append("")


def render(document: dict) -> str:
    """
    The page for an OpenAPI 3 document, as MyST Markdown.
    """
    info = document["info"]
    lines = [
        "# HTTP API reference",
        "",
        f"{info['title']}, version {info['version']}: generated from `openocpp/web/openapi.json` "
        "(served at `/api/openapi.json`) when this site is built. How to run the API, its tokens and "
        "quotas: [the HTTP API and web console](../api.md).",
        "",
        " ".join(info.get("description", "").split()),
        "",
    ]
    schemes = document.get("components", {}).get("securitySchemes", {})
    if schemes:
        lines += ["Authentication: " + "; ".join(
            f"{value.get('scheme', value['type'])} ({_cell(value.get('description', ''))})" for value in schemes.values()
        ) + ".", ""]
    tags = [tag["name"] for tag in document.get("tags", [])]
    for path, item in document["paths"].items():
        for method in METHODS:
            for tag in item.get(method, {}).get("tags", []):
                if tag not in tags:
                    tags.append(tag)
    for tag in tags:
        operations = [
            (path, method, item[method], item.get("parameters", []))
            for path, item in document["paths"].items()
            for method in METHODS
            if method in item and tag in item[method].get("tags", [])
        ]
        if not operations:
            continue
        lines += [f"## {tag[:1].upper()}{tag[1:]}", ""]
        for path, method, operation, shared in operations:
            _operation(lines, path, method, operation, shared)
    untagged = [
        (path, method, item[method], item.get("parameters", []))
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item and not item[method].get("tags")
    ]
    if untagged:
        lines += ["## Other endpoints", ""]
        for path, method, operation, shared in untagged:
            _operation(lines, path, method, operation, shared)
    schemas = document.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", ""]
        for name, schema in schemas.items():
            _schema(lines, name, schema)
    return "\n".join(lines).rstrip("\n") + "\n"


def write(page: str = PAGE, document: str = DOCUMENT) -> None:
    """
    Write the page from the document, unless it holds that text already (so
    that Sphinx does not read it again for nothing).
    """
    with open(document, encoding="utf-8") as file:
        text = render(json.load(file))
    os.makedirs(os.path.dirname(page), exist_ok=True)
    if os.path.exists(page):
        with open(page, encoding="utf-8") as file:
            if file.read() == text:
                return
    with open(page, "w", encoding="utf-8") as file:
        file.write(text)


if __name__ == "__main__":
    with open(DOCUMENT, encoding="utf-8") as file:
        sys.stdout.write(render(json.load(file)))
