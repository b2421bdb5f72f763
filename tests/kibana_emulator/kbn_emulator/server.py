"""Serving the Kibana emulator: in a thread for tests, or in the foreground from the command line."""

from __future__ import annotations

import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import KibanaEmulator


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, code="-", size="-"):
        pass


class KibanaServer:
    """A Kibana emulator on a loopback port (0 picks a free one), reading its jobs from ``es_url``."""

    def __init__(self, es_url, host="127.0.0.1", port=0, **options):
        self.app = KibanaEmulator(es_url, **options)
        self.httpd = make_server(host, port, self.app, threaded=True, request_handler=_QuietHandler)
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_port
        self._thread = None

    @property
    def url(self):
        return "http://%s:%d%s" % (self.host, self.port, self.app.base_path)

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="kibana-emulator", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self):
        self.httpd.serve_forever()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
