"""The emulator's latency settings: a real cluster's time per request, for reads and writes separately, outside
the cluster's lock (so concurrent requests overlap as on a cluster)."""

from __future__ import annotations

import threading
import time


def test_read_and_write_latency(es):
    es.settings(read_latency_ms=120, write_latency_ms=0)
    started = time.monotonic()
    es("GET", "/_ml/anomaly_detectors")
    read = time.monotonic() - started
    started = time.monotonic()
    es.put_job("j1")
    write = time.monotonic() - started
    assert read >= 0.12 and write < 0.1
    es.settings(read_latency_ms=0, write_latency_ms=150)
    threads = [threading.Thread(target=es.put_job, args=("w%d" % n,)) for n in range(4)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert 0.15 <= time.monotonic() - started < 0.55  # four at once: about one write's time, well under four
    assert es("GET", "/_ml/anomaly_detectors").json["count"] == 5


def test_a_post_that_changes_nothing_is_a_read(es):
    """_validate, _estimate_model_memory and a datafeed's _preview are POSTs that write nothing: a cluster answers
    them as it answers reads, so the read latency applies to them."""
    es.settings(read_latency_ms=0, write_latency_ms=300)
    started = time.monotonic()
    answer = es("POST", "/_ml/anomaly_detectors/_validate",
                {"analysis_config": {"detectors": [{"function": "count"}]}, "data_description": {"time_field": "t"}})
    assert answer.status == 200 and time.monotonic() - started < 0.25
    es.settings(read_latency_ms=0, write_latency_ms=0)
    es.put_job("j1")
    es.settings(read_latency_ms=0, write_latency_ms=300)
    started = time.monotonic()
    assert es("POST", "/_ml/anomaly_detectors/j1/_open").status == 200
    assert time.monotonic() - started >= 0.3
