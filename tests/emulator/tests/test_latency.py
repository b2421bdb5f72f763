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
