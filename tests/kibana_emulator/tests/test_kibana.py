"""Conformance of the Kibana emulator. Each test names the Kibana source it follows (paths in the elastic/kibana
repository; ML ones under x-pack/platform/plugins/shared/ml/server) and says the rule in this project's words."""

from __future__ import annotations

import pytest
import requests

from kbn_emulator.app import Credentials, KibanaEmulator
from kbn_emulator.server import KibanaServer

INTERNAL = {"elastic-api-version": "1", "x-elastic-internal-origin": "tests"}
AD = "anomaly-detector"


def spaces_of(kibana):
    return kibana("GET", "/internal/ml/saved_objects/jobs_spaces", headers=INTERNAL).json


def move(kibana, job_ids, add, remove, space=None, internal=False):
    prefix = "/s/%s" % space if space else ""
    path = prefix + ("/internal" if internal else "/api") + "/ml/saved_objects/update_jobs_spaces"
    return kibana("POST", path, {"jobType": AD, "jobIds": job_ids, "spacesToAdd": add, "spacesToRemove": remove},
                  headers=INTERNAL if internal else None)


@pytest.fixture
def synced(kibana, es):
    """Two jobs in Elasticsearch, one with a datafeed, and their saved objects made by a sync (in every space)."""
    es.put_job("a")
    es.put_job("b")
    es.source("logs")
    es("PUT", "/_ml/datafeeds/datafeed-a", {"job_id": "a", "indices": ["logs"]})
    assert kibana("GET", "/api/ml/saved_objects/sync").status == 200
    kibana("POST", "/api/spaces/space", {"id": "security", "name": "Security"})
    kibana("POST", "/api/spaces/space", {"id": "ops", "name": "Ops"})
    return kibana


def test_a_job_made_in_elasticsearch_is_unknown_to_kibana_until_a_sync(kibana, es):
    """checks.ts jobsSpaces lists jobs with a saved object only; sync.ts creates the missing ones. The public sync
    route defaults addToAllSpaces to true (routes/saved_objects.ts), so they are in every space, ``*``."""
    es.put_job("a")
    assert spaces_of(kibana) == {}
    simulated = kibana("GET", "/api/ml/saved_objects/sync", params={"simulate": "true"}).json
    assert simulated == {"savedObjectsCreated": {AD: {"a": {"success": True}}}, "savedObjectsDeleted": {},
                         "datafeedsAdded": {}, "datafeedsRemoved": {}}
    assert spaces_of(kibana) == {}, "simulate changes nothing"
    assert kibana("GET", "/api/ml/saved_objects/sync").json == simulated
    assert spaces_of(kibana) == {AD: {"a": ["*"]}}
    again = kibana("GET", "/api/ml/saved_objects/sync").json
    assert again == {"savedObjectsCreated": {}, "savedObjectsDeleted": {}, "datafeedsAdded": {}, "datafeedsRemoved": {}}


def test_a_sync_without_all_spaces_puts_objects_in_the_space_of_the_request(kibana, es):
    """sync.ts/service.ts _createJob: with addToAllSpaces false the object is created in the request's space."""
    kibana("POST", "/api/spaces/space", {"id": "security", "name": "Security"})
    es.put_job("a")
    kibana("GET", "/s/security/api/ml/saved_objects/sync", params={"addToAllSpaces": "false"})
    assert spaces_of(kibana) == {AD: {"a": ["security"]}}


def test_a_sync_deletes_objects_of_deleted_jobs_and_follows_datafeeds(synced, es):
    """sync.ts: an object whose job is gone is deleted; a datafeed made or deleted after the object was is added
    to or removed from it."""
    es("PUT", "/_ml/datafeeds/datafeed-b", {"job_id": "b", "indices": ["logs"]})
    es("DELETE", "/_ml/datafeeds/datafeed-a")
    es("DELETE", "/_ml/anomaly_detectors/a")
    answer = synced("GET", "/api/ml/saved_objects/sync").json
    assert answer["savedObjectsDeleted"] == {AD: {"a": {"success": True}}}
    assert answer["datafeedsAdded"] == {AD: {"b": {"success": True}}}
    assert answer["datafeedsRemoved"] == {}
    es("DELETE", "/_ml/datafeeds/datafeed-b")
    assert synced("GET", "/api/ml/saved_objects/sync").json["datafeedsRemoved"] == {AD: {"b": {"success": True}}}


def test_moving_a_job_between_spaces(synced):
    """service.ts updateJobsSpaces over update_objects_spaces.ts getNewSpacesArray: existing spaces less the removed,
    then the added; each job answers success and its type."""
    answer = move(synced, ["a"], ["security", "ops"], ["*"])
    assert answer.status == 200 and answer.json == {"a": {"success": True, "type": AD}}
    assert spaces_of(synced)[AD] == {"a": ["security", "ops"], "b": ["*"]}
    assert move(synced, ["a"], [], ["ops"], space="security").json == {"a": {"success": True, "type": AD}}
    assert spaces_of(synced)[AD]["a"] == ["security"]


def test_a_job_is_found_only_from_a_space_it_is_in(synced):
    """service.ts _getJobObjects looks in the request's space: a job outside it is "No known job with id"."""
    move(synced, ["a"], ["security"], ["*"])
    answer = move(synced, ["a"], ["ops"], [])
    assert answer.json == {"a": {"success": False, "type": AD, "error": "No known job with id 'a'"}}
    assert move(synced, ["a"], ["ops"], [], space="security").json["a"]["success"] is True


def test_a_job_cannot_leave_every_space(synced):
    """service.ts updateJobsSpaces: removing every space of a job, adding none, is a 400."""
    answer = move(synced, ["b"], [], ["*"])
    assert answer.status == 400
    assert answer.json == {"statusCode": 400, "error": "Bad Request", "message": "Cannot remove job 'b' from all spaces"}


def test_the_same_space_added_and_removed_fails_per_job(synced):
    """update_objects_spaces.ts refuses overlapping lists; service.ts reports that error on each job, in a 200."""
    answer = move(synced, ["a"], ["ops"], ["ops"])
    assert answer.status == 200
    assert answer.json["a"]["success"] is False
    assert answer.json["a"]["error"]["message"] == ("spacesToAdd and spacesToRemove cannot contain any of the same "
                                                    "strings: Bad Request")


def test_nothing_to_do_answers_an_empty_object(synced):
    """service.ts updateJobsSpaces: no jobs, or no spaces to add or remove, answer {}."""
    assert move(synced, [], ["ops"], []).json == {}
    assert move(synced, ["a"], [], []).json == {}


def test_writes_need_kbn_xsrf(synced):
    """core's http server (lifecycle_handlers.ts): a request that is not a GET must carry kbn-xsrf or kbn-version."""
    answer = requests.post(synced.url + "/api/ml/saved_objects/update_jobs_spaces", timeout=10,
                           json={"jobType": AD, "jobIds": ["a"], "spacesToAdd": ["ops"], "spacesToRemove": []})
    assert answer.status_code == 400
    assert answer.json() == {"statusCode": 400, "error": "Bad Request",
                             "message": "Request must contain a kbn-xsrf header."}


def test_internal_routes_need_a_version_and_where_restricted_an_origin(kibana, kibana_server):
    """core's versioned router: internal routes need elastic-api-version; with server.restrictInternalApis they
    also need x-elastic-internal-origin."""
    answer = kibana("GET", "/internal/ml/saved_objects/jobs_spaces")
    assert answer.status == 400
    assert answer.json["message"] == "Please specify a version via elastic-api-version header. Available versions: 1"
    kibana_server.app.restrict_internal_apis = True
    try:
        answer = kibana("GET", "/internal/ml/saved_objects/jobs_spaces", headers={"elastic-api-version": "1"})
        assert answer.status == 400
        assert answer.json["message"] == ("uri [/internal/ml/saved_objects/jobs_spaces] with method [get] exists but "
                                          "is not available with the current configuration")
    finally:
        kibana_server.app.restrict_internal_apis = False


def test_before_9_3_update_jobs_spaces_is_internal_only(emulator_server, es):
    """routes/saved_objects.ts: the public update_jobs_spaces route is available since 9.3.0."""
    with KibanaServer(emulator_server.url, version="8.19.0") as server:
        answer = requests.post(server.url + "/api/ml/saved_objects/update_jobs_spaces", headers={"kbn-xsrf": "t"},
                               json={"jobType": AD, "jobIds": [], "spacesToAdd": [], "spacesToRemove": []}, timeout=10)
        assert answer.status_code == 404
        assert answer.json() == {"statusCode": 404, "error": "Not Found", "message": "Not Found"}


def test_a_missing_space_in_the_path_is_a_404(kibana):
    """The spaces plugin resolves /s/<id> before routing: a space that does not exist is not found."""
    answer = kibana("GET", "/s/nowhere/api/ml/saved_objects/sync")
    assert answer.status == 404 and answer.json["message"] == "Saved object [space/nowhere] not found"


def test_spaces_are_created_listed_and_deleted(kibana, es):
    """The spaces API (x-pack/platform/plugins/shared/spaces/server/routes/api/external): an existing id is a 409,
    the default space cannot be deleted, and deleting a space takes it off the objects shared into it."""
    assert kibana("POST", "/api/spaces/space", {"id": "ops", "name": "Ops"}).status == 200
    again = kibana("POST", "/api/spaces/space", {"id": "ops", "name": "Ops"})
    assert again.status == 409 and again.json["message"] == "A space with the identifier ops already exists."
    assert [s["id"] for s in kibana("GET", "/api/spaces/space").json] == ["default", "ops"]
    refused = kibana("DELETE", "/api/spaces/space/default")
    assert refused.status == 400 and refused.json["message"] == "This Space cannot be deleted because it is reserved."
    es.put_job("a")
    kibana("GET", "/api/ml/saved_objects/sync")
    move(kibana, ["a"], ["ops", "default"], ["*"])
    assert kibana("DELETE", "/api/spaces/space/ops").status == 204
    assert spaces_of(kibana) == {AD: {"a": ["default"]}}
    assert kibana("GET", "/api/spaces/space/ops").status == 404


def test_credentials_are_those_of_elasticsearch(emulator_server):
    """Kibana authenticates each request with Elasticsearch; without valid credentials the answer is a 401."""
    credentials = Credentials(users={"elastic": "changeme"}, api_keys={"k1": "secret"}, tokens=["tok"])
    with KibanaServer(emulator_server.url, credentials=credentials) as server:
        url = server.url + "/api/spaces/space"
        assert requests.get(url, timeout=10).status_code == 401
        assert requests.get(url, auth=("elastic", "wrong"), timeout=10).json() == {
            "statusCode": 401, "error": "Unauthorized", "message": "Unauthorized"}
        assert requests.get(url, auth=("elastic", "changeme"), timeout=10).status_code == 200
        assert requests.get(url, headers={"Authorization": "ApiKey azE6c2VjcmV0"}, timeout=10).status_code == 200
        assert requests.get(url, headers={"Authorization": "Bearer tok"}, timeout=10).status_code == 200


def test_a_base_path_prefixes_every_route(emulator_server):
    """server.basePath: Kibana answers under it, and nowhere else."""
    with KibanaServer(emulator_server.url, base_path="/kibana") as server:
        assert server.url.endswith("/kibana")
        assert requests.get(server.url + "/api/spaces/space", timeout=10).status_code == 200
        assert requests.get(server.url[:-len("/kibana")] + "/api/spaces/space", timeout=10).status_code == 404


def test_an_unreachable_elasticsearch_syncs_nothing():
    """util.ts mlFunctionsFactory: an Elasticsearch API that fails is taken as absent, so the sync deletes nothing."""
    app = KibanaEmulator("http://127.0.0.1:9")
    app.jobs["a"] = {"datafeed_id": None, "namespaces": ["*"]}
    assert app._status() == ([], {}, False, False)
