"""The ML API layer: one method per REST spec endpoint, and bounded waits for states and tasks."""

from __future__ import annotations

import inspect
import re

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import EsClient
from ansible_collections.mlops.elasticsearch.plugins.module_utils._ml_api import ENDPOINTS, MlApi, WaitTimeout

from conftest import minimal_job
from esml_emulator.app import load_spec


def _specs():
    """The vendored REST spec files of the ML and task APIs, plus the two additions the emulator documents (_data,
    open's timeout). The index APIs the emulator also serves are for tests; the collection does not call them."""
    return dict((name, spec) for name, spec in load_spec().items() if name.startswith(("ml.", "tasks.")))


def _method_name(spec_name):
    return {"tasks.get": "get_task", "ml.info": "info", "ml.validate": "validate_job"}.get(
        spec_name, spec_name.split(".", 1)[1])


class Recorder:
    """Stands in for EsClient at its class boundary and remembers each request."""

    def __init__(self):
        self.calls = []

    def request(self, method, path, **kwargs):
        self.calls.append((method, path, kwargs))
        return {}


@pytest.mark.parametrize("spec_name", sorted(_specs()))
def test_one_method_per_spec_endpoint(spec_name):
    """Each endpoint of the REST spec has a method, sent with the spec's verb to one of the spec's paths,
    and every query parameter the method accepts is one the spec declares."""
    spec = _specs()[spec_name]
    method_name = _method_name(spec_name)
    assert spec_name in ENDPOINTS
    verb = ENDPOINTS[spec_name][0]
    paths = [p for p in spec["url"]["paths"] if verb in p["methods"]]
    assert paths, "%s: %s is not a method of the spec" % (spec_name, verb)
    recorder = Recorder()
    api = MlApi(recorder)
    method = getattr(api, method_name)
    signature = inspect.signature(method)
    args = {}
    for name, param in signature.parameters.items():
        if param.kind is param.VAR_KEYWORD:
            continue
        if param.default is inspect.Parameter.empty:
            args[name] = {"body": {"x": 1}, "events": [{}], "records": [{}]}.get(name, "the-%s" % name.replace("_", "-"))
    method(**args)
    sent_verb, sent_path, _kwargs = recorder.calls[0]
    assert sent_verb == verb
    patterns = [re.escape(p["path"]).replace(r"\{", "{").replace(r"\}", "}") for p in paths]
    patterns = [re.sub(r"{[a-z_]+}", "[^/]+", p) + "$" for p in patterns]
    assert any(re.match(p, sent_path) for p in patterns), (sent_path, patterns)
    declared = set(spec.get("params", {}))
    parts = set()
    for path in spec["url"]["paths"]:
        parts |= set(path.get("parts", {}))
    accepted = set(signature.parameters) - set(args) - parts - {"not_found_ok", "indices_options", "body"}
    accepted = set("from" if a == "from_" else a for a in accepted)
    assert accepted <= declared, accepted - declared


def test_every_ml_api_endpoint_has_a_spec():
    assert set(ENDPOINTS) == set(_specs())


def test_params_are_encoded_as_es_expects(es):
    es.put_job("j1")
    api = MlApi(EsClient(hosts=[es.url]))
    api.close_job("j1", allow_no_match=False, force=True, timeout="30s")
    assert es.log()[-1]["query"] == {"allow_no_match": "false", "force": "true", "timeout": "30s"}
    assert api.job("missing") is None
    assert api.job("j1")["job_id"] == "j1"
    assert "job_type" not in api.job("j1", exclude_generated=True)
    assert api.job_stats("j1")["state"] == "closed"
    assert api.datafeed("missing") is None and api.datafeed_stats("missing") is None


def test_wait_for_a_state_is_bounded(es):
    es.settings(max_open_jobs=0)
    es.put_job("lazy", minimal_job(allow_lazy_open=True))
    api = MlApi(EsClient(hosts=[es.url]))
    assert api.open_job("lazy") == {"opened": True, "node": ""}
    with pytest.raises(WaitTimeout) as info:
        api.wait_for_job_state("lazy", ["opened"], timeout=0.3, interval=0.05)
    assert "timed out after 0.3s waiting for job [lazy] to be opened; last seen: state=opening" in str(info.value)
    assert info.value.last["state"] == "opening"


def test_wait_for_unblocked_reset(es):
    es.settings(task_duration_ms=300)
    es.put_job("j1")
    api = MlApi(EsClient(hosts=[es.url]))
    api.reset_job("j1", wait_for_completion=False)
    job = api.wait_for_job_unblocked("j1", timeout=5, interval=0.05)
    assert "blocked" not in job


def test_poll_is_bounded_with_a_fake_clock():
    """The wait backs off from 0.1s to the interval and stops at the deadline."""
    now = [0.0]
    sleeps = []

    def sleep(seconds):
        sleeps.append(seconds)
        now[0] += seconds

    class Client:
        def request(self, method, path, **kwargs):
            return {"count": 1, "jobs": [{"job_id": "j", "state": "closing"}]}

    api = MlApi(Client(), sleep=sleep, clock=lambda: now[0])
    with pytest.raises(WaitTimeout):
        api.wait_for_job_state("j", ["closed"], timeout=3, interval=1.0)
    assert sleeps[:4] == [0.1, 0.2, 0.4, 0.8]
    assert max(sleeps) <= 1.0
    assert 3.0 <= now[0] <= 3.0001
