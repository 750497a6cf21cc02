"""docs/API.md is generated from the gateway's OpenAPI document and cannot drift from it."""
import difflib

from scripts.api_docs import API_MD, COMMAND, api_markdown, error_codes, openapi_document


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
