"""Serving the emulator: in a thread for tests, or in the foreground from the command line."""

from __future__ import annotations

import ssl
import threading

from werkzeug.serving import WSGIRequestHandler, make_server

from .app import Emulator, Security


class _QuietHandler(WSGIRequestHandler):
    """No access log on stderr unless asked; dropped connections are part of the fault model."""

    verbose = False

    def log_request(self, code="-", size="-"):
        if self.verbose:
            super().log_request(code, size)

    def log_error(self, format, *args):  # pylint: disable=redefined-builtin
        if self.verbose:
            super().log_error(format, *args)


class EmulatorServer:
    """An emulator on a loopback port (0 picks a free one); optionally with TLS and security."""

    def __init__(self, host="127.0.0.1", port=0, security=None, certfile=None, keyfile=None, verbose=False):
        self.app = Emulator(security=security or Security(), verbose=verbose)
        handler = type("Handler", (_QuietHandler,), {"verbose": verbose})
        context = None
        if certfile:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(certfile, keyfile)
        self.tls = context is not None
        self.httpd = make_server(host, port, self.app, threaded=True, request_handler=handler, ssl_context=context)
        self.httpd.daemon_threads = True
        self.host = host
        self.port = self.httpd.server_port
        self._thread = None

    @property
    def url(self):
        return "%s://%s:%d" % ("https" if self.tls else "http", self.host, self.port)

    def start(self):
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="esml-emulator", daemon=True)
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
