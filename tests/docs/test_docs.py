"""The docs say what the code does: generated pages are current, and every error message is explained."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "tooling"))

import render_docs  # noqa: E402  pylint: disable=wrong-import-position


def test_generated_pages_are_current(tmp_path):
    """docs/modules and docs/roles are what `make docs` writes from the plugins now."""
    for page in render_docs.render(str(tmp_path)):
        with open(os.path.join(ROOT, "docs", page), encoding="utf-8") as handle:
            committed = handle.read()
        with open(os.path.join(str(tmp_path), page), encoding="utf-8") as handle:
            fresh = handle.read()
        assert committed == fresh, "docs/%s is stale: run `make docs`" % page


def _raised_messages():
    """The fixed words of every ReconcileError, ConfigError and ElasticsearchError the modules' logic raises."""
    found = []
    util_dir = os.path.join(ROOT, "plugins", "module_utils")
    for name in sorted(os.listdir(util_dir)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(util_dir, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                func = node.exc.func
                kind = getattr(func, "id", None) or getattr(func, "attr", None)
                if kind in ("ReconcileError", "ConfigError", "ElasticsearchError") and node.exc.args:
                    literal = node.exc.args[0]
                    if isinstance(literal, ast.BinOp):
                        literal = literal.left
                    if isinstance(literal, ast.Constant) and isinstance(literal.value, str):
                        # the longest run of fixed words between %-placeholders identifies the message
                        words = max(re.split(r"%[a-z]", literal.value), key=len).strip(" ;.,()[]':")
                        if len(words) >= 12:
                            found.append((name, words))
    return found


def test_troubleshooting_explains_every_message():
    with open(os.path.join(ROOT, "docs", "troubleshooting.md"), encoding="utf-8") as handle:
        page = handle.read()
    messages = _raised_messages()
    assert len(messages) > 20
    missing = [(source, words) for source, words in messages if words not in page]
    assert missing == [], "explain these in docs/troubleshooting.md: %s" % missing


def test_relative_links_in_the_docs_resolve():
    """Every relative link of a Markdown page under docs/ (and of the README) names a file that exists."""
    broken = []
    pages = [os.path.join(ROOT, "README.md")]
    for folder, _dirs, files in os.walk(os.path.join(ROOT, "docs")):
        pages += [os.path.join(folder, name) for name in files if name.endswith(".md")]
    for page in pages:
        with open(page, encoding="utf-8") as handle:
            text = handle.read()
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:|#", target):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(page), target.split("#", 1)[0]))
            if not os.path.exists(path):
                broken.append("%s -> %s" % (os.path.relpath(page, ROOT), target))
    assert broken == []


def test_the_readme_layout_names_what_exists():
    """Every path the README's layout map names exists (a file or a folder)."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as handle:
        text = handle.read()
    block = text.split("## Layout", 1)[1].split("```", 2)[1]
    missing, folder = [], ""
    for line in block.splitlines():
        if not line.strip() or line.startswith(" "):
            continue  # a description, continued
        paths = re.split(r"\s{2,}", line.strip())[0]  # the path column; the description follows two spaces
        for name in [n.strip() for n in paths.split(",") if n.strip()]:
            if "/" in name:
                folder = os.path.dirname(name.rstrip("/"))
                path = name
            else:
                path = os.path.join(folder, name)  # a sibling of the path named before it
            if not os.path.exists(os.path.join(ROOT, path)):
                missing.append(path)
    assert missing == []


def test_bench_can_rewrite_the_performance_figures():
    """`make bench` is not part of `make test`, so this is what keeps it runnable: its imports resolve in a fresh
    interpreter (it shares the test fixtures, which need both emulators) and docs/performance.md still has the
    section it replaces."""
    bench = os.path.join(ROOT, "tests", "tooling", "bench.py")
    code = ("import runpy, sys; sys.argv = [%r]; namespace = runpy.run_path(%r, run_name='bench');"
            "text = open(namespace['DOC'], encoding='utf-8').read();"
            "assert namespace['FIGURES'].search(text), 'no Figures section'" % (bench, bench))
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
