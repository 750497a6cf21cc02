"""docs/API.md is generated from the gateway's OpenAPI document and cannot drift from it."""
import difflib

from scripts.api_docs import (API_MD, COMMAND, Renderer, api_markdown, error_codes,
                              openapi_document)


def test_docs_api_md_is_what_the_generator_writes():
    committed, generated = API_MD.read_text(), api_markdown()
    difference = list(difflib.unified_diff(committed.splitlines(), generated.splitlines(),
                                           "docs/API.md", "generated", lineterm="", n=1))
    assert not difference, "docs/API.md differs from the OpenAPI document: run `{}` and " \
        "commit it. First differences:\n{}".format(COMMAND, "\n".join(difference[:20]))


def test_every_route_of_the_openapi_document_is_in_docs_api_md():
    text = API_MD.read_text()
    for path, operations in openapi_document()["paths"].items():
        for method in operations:
            assert "### `{} {}`".format(method.upper(), path) in text


def test_the_error_codes_are_read_from_every_way_the_code_raises_them():
    codes = error_codes()
    assert "invalid_access_code" in codes[400]  # InvalidInput(*INVALID_CODE)
    assert "wrong_token_kind" in codes[403]  # Forbidden("wrong_token_kind", ...)
    assert "orders_cannot_be_cancelled" in codes[405]  # error_response(405, "...", ...)
    assert codes[404]["unknown_voucher"] == ["vouchers"]


def test_a_header_parameter_a_pattern_and_nested_fields_are_written_out():
    document = {
        "components": {"schemas": {"Contact": {"type": "object", "required": ["phone"],
                                               "properties": {"phone": {
                                                   "type": "string",
                                                   "pattern": "^(a|b)$"}}}}},
        "paths": {"/api/things": {"post": {
            "summary": "Make a thing.", "tags": ["things"],
            "security": [{"operations": []}],
            "parameters": [{"in": "header", "name": "Idempotency-Key", "required": True,
                            "schema": {"type": "string", "minLength": 1,
                                       "maxLength": 255}}],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"contacts": {
                    "type": "array", "items": {"$ref": "#/components/schemas/Contact"}}}}}}},
            "responses": {"201": {"description": "Made"},
                          "429": {"description": "Too many",
                                  "headers": {"Retry-After": {"schema": {"type": "integer"}}}}},
        }}}}
    text = Renderer(document).render({})
    assert "| `Idempotency-Key` | header | string | yes | 1–255 characters |" in text
    assert "| `contacts[].phone` | string | yes | pattern `^(a\\|b)$` |" in text
    assert "| 429 | Too many (headers: `Retry-After`) |" in text
    assert "**Who may call it:** operations" in text
