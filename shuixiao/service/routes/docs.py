"""``/api/v1/docs``: the OpenAPI description as one HTML page, without scripts or anything from the internet.

Interactive API explorers load their scripts from a CDN and run inline
scripts; an intranet deployment has no CDN and the service's
Content-Security-Policy allows neither.  This page is rendered on the server
from the same OpenAPI document (``/api/v1/openapi.json``).
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse

__all__ = ["router"]

router = APIRouter(tags=["documentation"])


def _type(schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "anyOf" in schema:
        return " | ".join(_type(s) for s in schema["anyOf"])
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if schema.get("type") == "array":
        return f"list[{_type(schema.get('items', {}))}]"
    return str(schema.get("format") or schema.get("type") or "any")


def _operation(path: str, method: str, op: dict[str, Any]) -> str:
    parts = [
        f'<section id="{escape(op.get("operationId", ""))}"><h3><code>{method.upper()} {escape(path)}</code></h3>',
        f"<p><strong>{escape(op.get('summary', ''))}</strong></p>",
        f"<p>{escape(op.get('description', '')).replace(chr(10) + chr(10), '</p><p>')}</p>",
    ]
    params = op.get("parameters", [])
    if params:
        parts.append(
            "<table><tr><th>parameter</th><th>in</th><th>type</th><th>required</th><th>description</th></tr>"
        )
        for p in params:
            parts.append(
                f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
                f"<td>{escape(_type(p.get('schema', {})))}</td><td>{'yes' if p.get('required') else ''}</td>"
                f"<td>{escape(p.get('description') or p.get('schema', {}).get('description', ''))}</td></tr>"
            )
        parts.append("</table>")
    body = op.get("requestBody", {}).get("content", {})
    if body:
        shown = ", ".join(f"{escape(m)} ({escape(_type(c.get('schema', {})))})" for m, c in body.items())
        parts.append(f"<p>Body: {shown}</p>")
    answers = ", ".join(
        f"{escape(code)} {escape(r.get('description', ''))}" for code, r in op.get("responses", {}).items()
    )
    parts.append(f"<p>Responses: {answers}</p></section>")
    return "\n".join(parts)


@router.get("/docs", include_in_schema=False)
def read_docs(request: Request) -> HTMLResponse:
    """The API reference as HTML, generated from the OpenAPI document."""
    spec = request.app.openapi()
    toc: list[str] = []
    sections: list[str] = []
    for path, methods in spec.get("paths", {}).items():
        for method, op in methods.items():
            anchor = escape(op.get("operationId", ""))
            toc.append(
                f'<li><a href="#{anchor}"><code>{method.upper()} {escape(path)}</code></a> {escape(op.get("summary", ""))}</li>'
            )
            sections.append(_operation(path, method, op))
    info = spec.get("info", {})
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}</title></head><body>"
        f"<h1>{escape(info.get('title', 'API'))} {escape(info.get('version', ''))}</h1>"
        f"<p>{escape(info.get('description', ''))}</p>"
        '<p>Machine-readable: <a href="openapi.json">openapi.json</a>.</p>'
        f"<h2>Endpoints</h2><ul>{''.join(toc)}</ul>{''.join(sections)}</body></html>"
    )
    return HTMLResponse(page)
