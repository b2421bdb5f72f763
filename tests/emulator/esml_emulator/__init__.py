"""An emulator of the Elasticsearch 8.x/9.x ML anomaly-detection REST API, for tests and the demo."""
