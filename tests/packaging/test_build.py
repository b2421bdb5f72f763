"""The collection builds into a clean tarball that installs and documents itself from a clean path."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.dirname(sys.executable)
MODULES = sorted(name[:-3] for name in os.listdir(os.path.join(ROOT, "plugins", "modules")) if name.endswith(".py"))


def _run(args, cwd, env=None):
    result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "build", "--output-path", str(out)], cwd=ROOT)
    tarball = out / "mlops-elasticsearch-0.1.0.tar.gz"
    assert tarball.exists()
    return tarball


def test_tarball_holds_the_collection_and_nothing_local(built):
    with tarfile.open(built) as archive:
        names = archive.getnames()
    for forbidden in (".venv", ".collections", ".tmp", ".tools", ".matrix", ".git", ".pytest_cache", "__pycache__", ".ci"):
        assert not [n for n in names if forbidden in n.split("/")], forbidden
    for needed in ["MANIFEST.json", "FILES.json", "meta/runtime.yml", "README.md", "LICENSE",
                   "roles/anomaly_detection/meta/argument_specs.yml", "plugins/doc_fragments/connection.py"] + \
            ["plugins/modules/%s.py" % m for m in MODULES]:
        assert needed in names, needed


def test_installs_into_a_clean_path(built, tmp_path):
    target = tmp_path / "collections"
    config = tmp_path / "ansible.cfg"  # an empty config: nothing points back at the working tree
    config.write_text("[defaults]\n")
    env = dict(os.environ, ANSIBLE_CONFIG=str(config), ANSIBLE_COLLECTIONS_PATH=str(target), ANSIBLE_NOCOLOR="1")
    _run([os.path.join(BIN, "ansible-galaxy"), "collection", "install", str(built), "-p", str(target)],
         cwd=str(tmp_path), env=env)
    listing = _run([os.path.join(BIN, "ansible-doc"), "-l", "mlops.elasticsearch"], cwd=str(tmp_path), env=env)
    assert sorted(line.split()[0].split(".")[-1] for line in listing.splitlines() if line.strip()) == MODULES
    role = _run([os.path.join(BIN, "ansible-doc"), "-t", "role", "mlops.elasticsearch.anomaly_detection"],
                cwd=str(tmp_path), env=env)
    assert "anomaly_detection_jobs" in role and "anomaly_detection_managed_group" in role
    installed = target / "ansible_collections" / "mlops" / "elasticsearch"
    assert (installed / "plugins" / "modules" / "ml_anomaly_job.py").exists()
    assert not (installed / ".venv").exists()
