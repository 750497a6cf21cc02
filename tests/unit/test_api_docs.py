"""docs/API.md is generated from the gateway's OpenAPI document and cannot drift from it."""
import difflib

from scripts.api_docs import API_MD, COMMAND, api_markdown, openapi_document


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
