"""The repository explains itself: every setting config.yaml reads is in the README's
table, every link in the README and the docs resolves inside the repository (anchors
included), and nothing cites documents the repository does not hold."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
         *sorted(ROOT.glob("services/*/README.md")), ROOT / "deploy" / "README.md"]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_variable_config_yaml_reads_is_in_the_readme():
    settings = [line.split("#")[0] for line in (ROOT / "config.yaml").read_text().splitlines()]
    variables = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):", "\n".join(settings)))
    assert variables, "config.yaml reads no variables?"
    table = "\n".join(line for line in (ROOT / "README.md").read_text().splitlines()
                      if line.startswith("| `"))
    missing = sorted(name for name in variables if "`{}`".format(name) not in table)
    assert not missing, "README's configuration table lacks {}".format(missing)


def anchors(page):
    """The anchors GitHub gives the headings of a Markdown page."""
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.+)$", text, flags=re.M)}


def test_links_in_the_readme_and_docs_stay_inside_the_repository():
    for page in PAGES:
        for target in LINK.findall(page.read_text()):
            if re.match(r"https?://", target):
                continue  # a library's own site, not a file of ours
            file_part, _, anchor = target.partition("#")
            path = (page.parent / file_part).resolve() if file_part else page
            where = page.relative_to(ROOT)
            assert path.is_relative_to(ROOT), "{} links outside: {}".format(where, target)
            assert path.exists(), "{} links to a missing {}".format(where, target)
            if anchor and path.suffix == ".md":
                assert anchor in anchors(path), \
                    "{} links to a missing heading: {}".format(where, target)


# Files whose citations their owners were rewriting when this test was written (issue 10);
# remove each from here once it no longer cites.
CITATION = re.compile(r"DESIGN[.]md|shared[/]docs")


def test_nothing_cites_documents_outside_the_repository():
    """Code and docs explain themselves or point at docs/: the design notes and the
    ../shared directory they came from are not in the repository."""
    files = [*PAGES, *(path for path in ROOT.rglob("*.py")
                       if not {".venv", "var", "node_modules"} & set(path.parts))]
    citing = sorted(name for name in (str(path.relative_to(ROOT)) for path in files)
                    if CITATION.search((ROOT / name).read_text()))
    assert not citing, "these cite documents the repository does not hold: {}".format(citing)
