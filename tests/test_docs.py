"""The docs: a README a newcomer reads in minutes, the pages under docs/ built as a site with
MkDocs --strict (a broken link, anchor or a page left out of the navigation fails), and nothing in
them about the machine they were written on."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = sorted((ROOT / "docs").glob("*.md"))


def build(root: Path, site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
                          cwd=root, capture_output=True, text=True, check=False,
                          env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"})


def test_the_readme_fits_the_budget_and_links_every_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    assert "bash scripts/demo" in readme and "bash scripts/test" in readme
    linked = set(re.findall(r"\(docs/([\w-]+\.md)", readme))
    assert {p.name for p in PAGES} - linked <= {"index.md"}, "a docs page the README does not point to"


def test_the_site_builds_strictly(tmp_path):
    done = build(ROOT, tmp_path / "site")
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "mcp" / "index.html").exists()


def test_a_broken_link_fails_the_build(tmp_path):
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", copy / "docs")
    shutil.copy(ROOT / "mkdocs.yml", copy / "mkdocs.yml")
    page = copy / "docs" / "mcp.md"
    page.write_text(page.read_text() + "\nSee [the missing page](nowhere.md).\n")
    done = build(copy, tmp_path / "site")
    assert done.returncode != 0 and "nowhere.md" in done.stdout + done.stderr


def test_no_page_talks_about_the_machine_it_was_written_on():
    words = re.compile(r"this session|this machine|reachable here|cannot run here|cannot be built here|"
                       r"could not be built here|run here|proxy here|the reachable proxy|the machine it was written",
                       re.I)
    for page in [ROOT / "README.md", *PAGES]:
        found = words.findall(page.read_text())
        assert not found, (page.name, found)


def _bash_blocks() -> list[tuple[str, str]]:
    blocks = []
    for page in [ROOT / "README.md", *PAGES]:
        blocks += [(page.name, block) for block in re.findall(r"```bash\n(.*?)```", page.read_text(), re.S)]
    return blocks


def test_every_shell_block_parses_and_names_files_that_exist():
    """Every bash block of the README and the docs is valid shell, and every file of this repository it
    names (scripts, examples, deploy files, benchmarks) exists: the commands that cannot run here
    (Docker Compose, a cloud collector) are at least right as written; tests run the others."""
    blocks = _bash_blocks()
    assert len(blocks) > 10
    for page, block in blocks:
        done = subprocess.run(["bash", "-n"], input=block, capture_output=True, text=True, check=False)
        assert done.returncode == 0, (page, block, done.stderr)
        for path in re.findall(r"(?<![\w/.-])((?:scripts|examples|deploy|benchmarks|grafana|tests)/[\w./-]+)", block):
            path = path.rstrip(".")
            if any(part in path for part in ("secrets/", ".env")):
                continue  # made by the reader, git-ignored
            assert (ROOT / path).exists(), (page, path)


def test_every_autogen_otel_command_in_the_docs_is_one_the_cli_accepts():
    from autogen_otel.cli import main

    for page, block in _bash_blocks():
        for command in re.findall(r"^\s*autogen-otel ([^#\n]+)", block, re.M):
            words = [w for w in command.split() if not w.startswith("$")]
            with pytest.raises(SystemExit) as accepted:  # --help exits 0 once argparse accepts what came before
                main([words[0], *[w for w in words[1:] if w.startswith("-")], "--help"])
            assert accepted.value.code == 0, (page, command)


def test_every_python_snippet_compiles_and_uses_names_autogen_otel_has():
    """The snippets are fragments of an app (its team, agents, client): each compiles as written
    (top-level await allowed) and every autogen-otel name it uses exists."""
    import ast

    import autogen_otel

    snippets = [(page.name, block) for page in [ROOT / "README.md", *PAGES]
                for block in re.findall(r"```python\n(.*?)```", page.read_text(), re.S)]
    assert len(snippets) >= 5
    for page, block in snippets:
        tree = compile(block, page, "exec", flags=ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "autogen_otel":
                for alias in node.names:
                    assert hasattr(autogen_otel, alias.name), (page, alias.name)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "autogen_otel":
                assert hasattr(autogen_otel, node.attr), (page, node.attr)
