"""`make matrix`: sanity, unit and integration tests on every ansible-core minor from 2.16 to the newest on the index.

For each minor, the newest patch release is installed in its own venv (``.matrix/<minor>/``, kept between runs)
on a Python of the machine that the release supports on the controller (3.11 where it can). Then that version's own
``ansible-test sanity``, the unit tests (with both emulators' own) and the integration targets are run. The table at
the end has a row per version. A version whose Python the machine lacks is reported as not run, never as passed;
the run fails if any cell failed, or if a version from 2.16 to 2.19 did not run.

Usage: python tests/tooling/matrix.py [--only 2.17,2.18]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIRST = (2, 16)
REQUIRED = [(2, 16), (2, 17), (2, 18), (2, 19)]  # CI fails unless each of these ran
# The test tools, at the versions requirements/dev.txt pins (ansible-core comes from the matrix)
TOOLS = ("pytest", "requests", "trustme", "werkzeug", "hypothesis")
# Controller Pythons of each ansible-core minor (its support matrix), in the order tried: 3.11 first where the
# release supports it (the test tools' pinned versions need 3.11 or later), else the oldest it supports
CONTROLLER_PYTHONS = {
    (2, 16): ("3.11", "3.12"),
    (2, 17): ("3.11", "3.12"),
    (2, 18): ("3.11", "3.12", "3.13"),
    (2, 19): ("3.11", "3.12", "3.13"),
    (2, 20): ("3.12", "3.13", "3.14"),
    (2, 21): ("3.12", "3.13", "3.14"),
}


def _pins():
    pins = {}
    with open(os.path.join(ROOT, "requirements", "dev.txt"), encoding="utf-8") as handle:
        for line in handle:
            match = re.match(r"([A-Za-z0-9_.-]+)==(\S+)", line.strip())
            if match:
                pins[match.group(1).lower()] = match.group(2)
    return ["%s==%s" % (tool, pins[tool]) for tool in TOOLS]


def _index_versions(available):
    """Every released version on the index: PyPI's JSON API, or else what pip sees (with the newest Python here,
    since pip lists only the releases its Python can install)."""
    try:
        with urllib.request.urlopen("https://pypi.org/pypi/ansible-core/json", timeout=60) as response:
            data = json.load(response)
        return [v for v, files in data["releases"].items() if files and not all(f.get("yanked") for f in files)]
    except (OSError, ValueError):
        python = available[max(available, key=lambda v: tuple(int(p) for p in v.split(".")))]
        listed = subprocess.run([python, "-m", "pip", "index", "versions", "ansible-core"], capture_output=True,
                                text=True, check=False).stdout
        match = re.search(r"Available versions: (.*)", listed)
        return [v.strip() for v in match.group(1).split(",")] if match else []


def releases(available):
    """The newest patch release of every ansible-core minor from 2.16 on, from the package index."""
    newest = {}
    for version in _index_versions(available):
        match = re.match(r"(\d+)\.(\d+)\.(\d+)\Z", version)
        if not match:
            continue
        minor, patch = (int(match.group(1)), int(match.group(2))), int(match.group(3))
        if minor >= FIRST and patch >= newest.get(minor, (-1, ""))[0]:
            newest[minor] = (patch, version)
    return sorted((minor, version) for minor, (_patch, version) in newest.items())


def pythons():
    """The machine's Pythons by minor version: python3.X on the PATH, and pyenv's."""
    found = {}
    roots = []
    try:
        roots.append(os.path.join(subprocess.run(["pyenv", "root"], capture_output=True, text=True,
                                                 check=True).stdout.strip(), "versions"))
    except (OSError, subprocess.CalledProcessError):
        pass
    for root in roots:
        for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
            match = re.match(r"(3\.\d+)\.\d+\Z", name)
            binary = os.path.join(root, name, "bin", "python3")
            if match and os.access(binary, os.X_OK):
                found.setdefault(match.group(1), binary)
    for minor in ("3.10", "3.11", "3.12", "3.13", "3.14"):
        binary = shutil.which("python" + minor)
        if binary and minor not in found:
            found[minor] = binary
    return found


def _run(command, log, env=None, cwd=ROOT, timeout=3600):
    started = time.time()
    with open(log, "a", encoding="utf-8") as handle:
        handle.write("\n$ %s\n" % " ".join(command))
        handle.flush()
        result = subprocess.run(command, cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, timeout=timeout,
                                check=False)
    return result.returncode == 0, time.time() - started


def prepare(minor, version, python, log):
    """The venv of one ansible-core release, built once (a stamp names what it holds)."""
    venv = os.path.join(ROOT, ".matrix", "%d.%d" % minor)
    stamp = os.path.join(venv, ".installed")
    wanted = " ".join(["ansible-core==%s" % version] + _pins() + [python])
    if os.path.exists(stamp) and open(stamp, encoding="utf-8").read() == wanted:
        return venv
    shutil.rmtree(venv, ignore_errors=True)
    ok, _seconds = _run([python, "-m", "venv", venv], log)
    binary = os.path.join(venv, "bin", "python")
    ok = ok and _run([binary, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                      "ansible-core==%s" % version] + _pins(), log)[0]
    ok = ok and _run([binary, os.path.join(ROOT, "tests", "tooling", "seed_ansible_test.py")], log)[0]
    if not ok:
        raise RuntimeError("could not install ansible-core %s on %s (see %s)" % (version, python, log))
    with open(stamp, "w", encoding="utf-8") as handle:
        handle.write(wanted)
    return venv


def sanity(venv, python_minor, log):
    """That version's ansible-test sanity, on a copy laid out as ansible_collections/mlops/elasticsearch."""
    root = tempfile.mkdtemp(prefix="mlops-matrix-")
    tree = os.path.join(root, "ansible_collections", "mlops", "elasticsearch")
    os.makedirs(tree)
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.splitlines()
    for name in files:
        source = os.path.join(ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(tree, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(tree, name))
    env = dict(os.environ, PATH=os.path.join(venv, "bin") + os.pathsep + os.environ["PATH"])
    try:
        return _run([os.path.join(venv, "bin", "ansible-test"), "sanity", "--venv", "--python", python_minor,
                     "--color", "no"], log, env=env, cwd=tree)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def pytest(venv, paths, log):
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env.pop("ELASTICSEARCH_HOSTS", None)
    return _run([os.path.join(venv, "bin", "python"), "-m", "pytest", "-q"] + paths, log, env=env)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="", help="comma-separated minors, e.g. 2.16,2.19")
    args = parser.parse_args()
    only = set(tuple(int(p) for p in v.split(".")) for v in args.only.split(",") if v)
    logs = os.path.join(ROOT, ".matrix", "logs")
    os.makedirs(logs, exist_ok=True)
    available = pythons()
    rows, failed = [], False
    for minor, version in releases(available):
        if only and minor not in only:
            continue
        name = "%d.%d" % minor
        candidates = CONTROLLER_PYTHONS.get(minor) or ()
        chosen = next((p for p in candidates if p in available), None)
        if chosen is None:
            rows.append((version, "-", "not run: no Python %s here" % "/".join(candidates), "", "", 0))
            failed = failed or minor in REQUIRED
            continue
        log = os.path.join(logs, name + ".log")
        open(log, "w", encoding="utf-8").close()
        started = time.time()
        try:
            venv = prepare(minor, version, available[chosen], log)
            cells = [sanity(venv, chosen, log)[0],
                     pytest(venv, ["tests/unit", "tests/emulator/tests", "tests/kibana_emulator/tests"], log)[0],
                     pytest(venv, ["tests/integration/test_targets.py"], log)[0]]
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            print(exc)
            cells = [False, False, False]
        failed = failed or not all(cells)
        words = ["passed" if c else "FAILED" for c in cells]
        rows.append((version, chosen, words[0], words[1], words[2], time.time() - started))
        print("ansible-core %s on Python %s: sanity %s, units %s, integration %s (%s)" % (
            version, chosen, words[0], words[1], words[2], log), flush=True)
    ran = set(tuple(int(p) for p in r[0].split(".")[:2]) for r in rows if r[1] != "-")
    missing = [r for r in REQUIRED if r not in ran and (not only or r in only)]
    print("\n| ansible-core | Python | sanity | units | integration | seconds |")
    print("| --- | --- | --- | --- | --- | --- |")
    for version, python, *cells, seconds in rows:
        shown = "%d" % seconds if seconds else ""
        print("| %s | %s | %s | %s | %s | %s |" % (version, python, cells[0], cells[1], cells[2], shown))
    if missing:
        print("\nnot run, though required: %s" % ", ".join("%d.%d" % m for m in missing))
    return 1 if failed or missing else 0


if __name__ == "__main__":
    sys.exit(main())
