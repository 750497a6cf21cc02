"""The repository explains itself: every setting config.yaml reads is in the README's
table, and every link in the README and docs/ resolves inside the repository."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_variable_config_yaml_reads_is_in_the_readme():
    settings = [line.split("#")[0] for line in (ROOT / "config.yaml").read_text().splitlines()]
    variables = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*):", "\n".join(settings)))
    assert variables, "config.yaml reads no variables?"
    table = "\n".join(line for line in (ROOT / "README.md").read_text().splitlines()
                      if line.startswith("| `"))
    missing = sorted(name for name in variables if "`{}`".format(name) not in table)
    assert not missing, "README's configuration table lacks {}".format(missing)


def test_links_in_the_readme_and_docs_stay_inside_the_repository():
    pages = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
    for page in pages:
        for target in re.findall(r"\]\(([^)]+)\)", page.read_text()):
            if re.match(r"https?://", target):
                continue  # a library's own site, not a file of ours
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT), "{} links outside: {}".format(page.name, target)
            assert path.exists(), "{} links to a missing {}".format(page.name, target)
