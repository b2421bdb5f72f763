"""ml_job_spaces and ml_saved_objects_sync over KibanaApi, against the Kibana emulator reading the Elasticsearch one."""

from __future__ import annotations

import base64

import pytest

from ansible_collections.mlops.elasticsearch.plugins.module_utils import _job_spaces
from ansible_collections.mlops.elasticsearch.plugins.module_utils._client import ElasticsearchError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._kibana import (
    KibanaApi, KibanaClient, decode_kibana_cloud_id, resolve_kibana_credentials, split_space)
from ansible_collections.mlops.elasticsearch.plugins.module_utils._options import ConfigError
from ansible_collections.mlops.elasticsearch.plugins.module_utils._reconcile import ReconcileError
from kbn_emulator.app import Credentials
from kbn_emulator.server import KibanaServer


def api_for(url, **params):
    return KibanaApi(KibanaClient.from_params(dict(params, kibana_url=url)))


def writes(kibana):
    """Requests that change Kibana: any but a GET, and a sync that is not simulated."""
    log = kibana.session.get(kibana.url + "/_emulator/requests", timeout=10).json()
    return [(e["method"], e["path"]) for e in log
            if e["method"] != "GET" or (e["path"].endswith("/saved_objects/sync") and "simulate=true" not in e["query"])]


def clear(kibana):
    kibana.session.delete(kibana.url + "/_emulator/requests", timeout=10)


@pytest.fixture
def world(kibana, es):
    """Jobs a and b in Elasticsearch (a with a datafeed), spaces security and ops in Kibana, no saved object yet."""
    es.put_job("a")
    es.put_job("b")
    es.source("logs")
    es("PUT", "/_ml/datafeeds/datafeed-a", {"job_id": "a", "indices": ["logs"]})
    for space in ("security", "ops"):
        kibana("POST", "/api/spaces/space", {"id": space, "name": space})
    clear(kibana)
    return kibana


def run(kibana, check_mode=False, **params):
    return _job_spaces.run(api_for(kibana.url), params, check_mode=check_mode, diff_mode=True)


def test_check_mode_predicts_a_new_job_landing_in_its_space_and_writes_nothing(world):
    planned = run(world, check_mode=True, job_id=["a"], spaces=["security"])
    assert planned["changed"] and [a["action"] for a in planned["actions"]] == ["sync", "update_jobs_spaces"]
    assert planned["diff"] == {"before": {"a": None}, "after": {"a": ["security"]}}
    assert writes(world) == []
    applied = run(world, job_id=["a"], spaces=["security"])
    assert applied["jobs"] == {"a": ["security"]} and applied["diff"] == planned["diff"]
    assert world("GET", "/internal/ml/saved_objects/jobs_spaces",
                 headers={"elastic-api-version": "1"}).json["anomaly-detector"] == {"a": ["security"], "b": ["*"]}
    clear(world)
    again = run(world, job_id=["a"], spaces=["security"])
    assert not again["changed"] and again["actions"] == [] and writes(world) == []


def test_jobs_that_move_alike_share_one_request_through_a_space_they_are_in(world):
    run(world, job_id=["a", "b"], spaces=["security"])
    clear(world)
    moved = run(world, jobs=[{"job_id": "a", "spaces": ["ops"]}, {"job_id": "b", "spaces": ["ops"]}])
    assert [(a["path"], a["note"]) for a in moved["actions"]] == [
        ("s/security/api/ml/saved_objects/update_jobs_spaces", "jobs a, b, through space security")]
    assert writes(world) == [("POST", "/s/security/api/ml/saved_objects/update_jobs_spaces")]
    assert moved["jobs"] == {"a": ["ops"], "b": ["ops"]}


def test_adding_and_removing_keep_the_other_spaces(world):
    run(world, job_id=["a"], spaces=["security"])
    assert run(world, job_id=["a"], spaces_to_add=["ops"])["jobs"] == {"a": ["ops", "security"]}
    assert run(world, job_id=["a"], spaces_to_remove=["security"])["jobs"] == {"a": ["ops"]}
    assert run(world, job_id=["a"], spaces_to_add=["*"])["jobs"] == {"a": ["*"]}
    with pytest.raises(ReconcileError, match="would be in no Kibana space"):
        run(world, job_id=["a"], spaces_to_remove=["*"])


def test_a_sync_that_would_clean_up_after_other_jobs_stops_before_any_write(world, es):
    run(world, job_id=["a", "b"], spaces=["*"])
    es.put_job("c")
    es("DELETE", "/_ml/anomaly_detectors/b")
    clear(world)
    with pytest.raises(ReconcileError, match="would also clean up: delete the saved object of the deleted job b"):
        run(world, job_id=["c"], spaces=["ops"])
    assert writes(world) == []
    done = run(world, job_id=["c"], spaces=["ops"], allow_cleanup=True)
    assert done["jobs"] == {"c": ["ops"]} and done["sync"]["savedObjectsDeleted"] == {"anomaly-detector": {"b": {"success": True}}}


def test_without_sync_missing_a_job_without_saved_object_fails(world):
    with pytest.raises(ReconcileError, match="no Kibana saved object yet.*ml_saved_objects_sync"):
        run(world, job_id=["a"], spaces=["ops"], sync_missing=False)
    assert writes(world) == []


def test_a_job_elasticsearch_does_not_have_and_a_space_kibana_does_not_have_fail_before_writing(world):
    with pytest.raises(ReconcileError, match="job.s. nope are not anomaly detection jobs"):
        run(world, job_id=["nope"], spaces=["ops"])
    with pytest.raises(ReconcileError, match="Kibana has no space marketing"):
        run(world, job_id=["a"], spaces=["marketing"])
    assert writes(world) == []


@pytest.mark.parametrize("params, words", [
    ({"job_id": ["a"], "spaces": []}, "spaces is empty"),
    ({"job_id": ["a"], "spaces": ["*", "ops"]}, "stands alone"),
    ({"job_id": ["a"]}, "give spaces, or spaces_to_add"),
    ({"job_id": ["a"], "spaces_to_add": ["ops"], "spaces_to_remove": ["ops"]}, "both name ops"),
    ({"job_id": ["Bad Id"], "spaces": ["ops"]}, "job_id"),
    ({"jobs": [{"job_id": "a"}]}, "needs spaces"),
    ({"jobs": [{"job_id": "a", "spaces": ["ops"], "space": "x"}]}, "unknown key"),
    ({"job_id": ["a", "a"], "spaces": ["ops"]}, "listed twice"),
])
def test_bad_input_is_refused_naming_the_option(params, words):
    with pytest.raises(ConfigError, match=words):
        _job_spaces.declare(params, None)


def test_before_kibana_9_3_the_internal_route_changes_the_spaces(emulator_server, es):
    with KibanaServer(emulator_server.url, version="8.19.0") as old:
        es.put_job("a")
        api = api_for(old.url)
        api.sync()
        api.update_jobs_spaces(["a"], ["default"], ["*"])
        assert api.get_jobs_spaces() == {"a": ["default"]}
        paths = [e["path"] for e in old.app.log if e["method"] == "POST"]
        assert paths == ["/api/ml/saved_objects/update_jobs_spaces", "/internal/ml/saved_objects/update_jobs_spaces"]


def test_the_sync_module_simulates_then_syncs_once(world):
    planned = _job_spaces.run_sync(api_for(world.url), {}, check_mode=True, diff_mode=True)
    assert planned["changed"] and planned["diff"]["before"]["jobs_without_saved_object"] == ["a", "b"]
    assert writes(world) == []
    done = _job_spaces.run_sync(api_for(world.url), {}, diff_mode=True)
    assert done["sync"]["savedObjectsCreated"] == {"anomaly-detector": {"a": {"success": True}, "b": {"success": True}}}
    assert not _job_spaces.run_sync(api_for(world.url), {})["changed"]


def test_a_sync_in_a_space_without_all_spaces_lands_there(world):
    _job_spaces.run_sync(api_for(world.url + "/s/ops"), {"add_to_all_spaces": False})
    assert api_for(world.url).get_jobs_spaces() == {"a": ["ops"], "b": ["ops"]}


def test_kibana_errors_name_kibana_and_its_options_and_keep_secrets_out(emulator_server):
    with KibanaServer(emulator_server.url, credentials=Credentials(users={"elastic": "changeme"})) as secured:
        with pytest.raises(ElasticsearchError) as caught:
            api_for(secured.url, kibana_username="elastic", kibana_password="wrong-s3cret").get_spaces()
        assert caught.value.status == 401
        assert "Kibana: GET api/spaces/space: 401 Unauthorized. Kibana did not accept the credentials (basic auth)" \
            in str(caught.value)
        assert "wrong-s3cret" not in str(caught.value)
        assert api_for(secured.url, kibana_username="elastic", kibana_password="changeme").get_spaces()[0]["id"] == "default"
    with pytest.raises(ElasticsearchError, match="could not connect to any Kibana host.*kibana_url .or KIBANA_URL"):
        api_for("http://127.0.0.1:9", kibana_retries=0).get_spaces()


def test_internal_routes_are_sent_with_their_headers(kibana_server, kibana):
    kibana_server.app.restrict_internal_apis = True
    try:
        assert api_for(kibana.url).get_jobs_spaces() == {}
    finally:
        kibana_server.app.restrict_internal_apis = False


def test_urls_cloud_ids_and_credentials():
    assert split_space("https://k.example.com/kibana/s/ops") == ("https://k.example.com/kibana", "ops")
    assert split_space("https://k.example.com:5601") == ("https://k.example.com:5601", None)
    cloud = "prod:" + base64.b64encode(b"eu-west-1.aws.found.io:9243$es123$kb456").decode()
    assert decode_kibana_cloud_id(cloud) == "https://kb456.eu-west-1.aws.found.io:9243"
    with pytest.raises(ElasticsearchError, match="kibana_cloud_id"):
        decode_kibana_cloud_id("prod:" + base64.b64encode(b"host$es123").decode())
    params = {"kibana_username": "ops"}
    assert resolve_kibana_credentials(params, {"KIBANA_PASSWORD": "pw", "KIBANA_API_KEY": "k"}) == ["pw"]
    assert params == {"kibana_username": "ops", "kibana_password": "pw"}
    params = {}
    resolve_kibana_credentials(params, {"KIBANA_API_KEY": "k"})
    assert params == {"kibana_api_key": "k"}
    with pytest.raises(ElasticsearchError, match="KIBANA_USERNAME and KIBANA_API_KEY"):
        resolve_kibana_credentials({}, {"KIBANA_USERNAME": "u", "KIBANA_API_KEY": "k"})
    with pytest.raises(ElasticsearchError, match="no kibana_password"):
        resolve_kibana_credentials({"kibana_username": "u"}, {})


def logged(kibana):
    log = kibana.session.get(kibana.url + "/_emulator/requests", timeout=10).json()
    return [(e["method"], e["path"] + ("?" + e["query"] if e["query"] else "")) for e in log]


def test_request_counts(world):
    """A job without a saved object: its spaces, Kibana's spaces, the simulated sync, the sync, one move. Then a
    no-op is the two reads, a move adds one write, and spaces that are only ``*`` need no list of spaces."""
    jobs_spaces = ("GET", "/internal/ml/saved_objects/jobs_spaces")
    spaces = ("GET", "/api/spaces/space")
    run(world, job_id=["a"], spaces=["security"])
    assert logged(world) == [jobs_spaces, spaces, ("GET", "/api/ml/saved_objects/sync?simulate=true"),
                             ("GET", "/api/ml/saved_objects/sync"),
                             ("POST", "/api/ml/saved_objects/update_jobs_spaces")]
    clear(world)
    run(world, job_id=["a"], spaces=["security"])
    assert logged(world) == [jobs_spaces, spaces]
    clear(world)
    run(world, job_id=["a"], spaces=["ops"])
    assert logged(world) == [jobs_spaces, spaces, ("POST", "/s/security/api/ml/saved_objects/update_jobs_spaces")]
    clear(world)
    run(world, job_id=["a"], spaces=["*"])
    assert logged(world) == [jobs_spaces, ("POST", "/s/ops/api/ml/saved_objects/update_jobs_spaces")]


def test_a_move_that_fails_after_the_sync_says_what_was_done(world, kibana_server):
    """The sync ran, then Kibana refused the move (here: the job's saved object went away in between): the failure
    names the step done, where things stand, and that running the task again finishes."""
    original = kibana_server.app._update_jobs_spaces

    def gone(request, space):
        with kibana_server.app.lock:
            kibana_server.app.jobs.pop("a", None)
        return original(request, space)
    kibana_server.app._update_jobs_spaces = gone
    try:
        with pytest.raises(ReconcileError) as caught:
            run(world, job_id=["a"], spaces=["security"])
    finally:
        kibana_server.app._update_jobs_spaces = original
    message = str(caught.value)
    assert "Kibana could not change the spaces of job a (No known job with id 'a')" in message
    assert "Done before it failed: sync." in message
    assert "Kibana's view of job(s) a is left with the missing saved objects made, in every space; run the task " \
           "again to finish." in message
