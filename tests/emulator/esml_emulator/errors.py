"""Elasticsearch exceptions and the error envelope they render to (ES ElasticsearchException)."""

from __future__ import annotations


class EsException(Exception):
    """An exception as Elasticsearch renders it: a snake_case type, a reason, a status and a cause.

    ``es_native`` says whether the Java class is an ElasticsearchException (status_exception,
    resource_not_found_exception, ...) or a plain Java exception (illegal_argument_exception,
    x_content_parse_exception); root-cause guessing treats the two differently (ES ElasticsearchException).
    """

    type = "exception"
    status = 500
    es_native = True

    def __init__(self, reason, status=None, cause=None, headers=None, extra=None):
        super().__init__(reason)
        self.reason = reason
        if status is not None:
            self.status = status
        self.cause = cause
        self.headers = headers or {}
        self.extra = extra or {}

    def body(self):
        out = {"type": self.type, "reason": self.reason}
        out.update(self.extra)
        return out

    def to_dict(self):
        out = self.body()
        if self.cause is not None:
            out["caused_by"] = self.cause.to_dict()
        return out

    def root_causes(self):
        """ElasticsearchException.guessRootCauses."""
        if self.es_native:
            return [self]
        if isinstance(self, XContentParseException) and self.cause is not None:
            if isinstance(self.cause, XContentParseException) or self.cause.es_native:
                return self.cause.root_causes()
        return [self]

    def envelope(self):
        error = {"root_cause": [rc.body() for rc in self.root_causes()]}
        error.update(self.to_dict())
        return {"error": error, "status": self.status}


class StatusException(EsException):
    """ElasticsearchStatusException: carries its own status (ExceptionsHelper.badRequest/conflict)."""

    type = "status_exception"


class ResourceNotFound(EsException):
    type = "resource_not_found_exception"
    status = 404


class ResourceAlreadyExists(EsException):
    """400, not 409 (ES ElasticsearchException)."""

    type = "resource_already_exists_exception"
    status = 400


class IllegalArgument(EsException):
    type = "illegal_argument_exception"
    status = 400
    es_native = False


class XContentParseException(IllegalArgument):
    type = "x_content_parse_exception"

    def __init__(self, location, reason, cause=None):
        line, col = location
        super().__init__("[%d:%d] %s" % (line, col, reason), cause=cause)
        self.location = location


class ParseException(EsException):
    """ElasticsearchParseException."""

    type = "parse_exception"
    status = 400


class SecurityException(EsException):
    type = "security_exception"


class RejectedExecution(EsException):
    type = "es_rejected_execution_exception"
    status = 429


class Unavailable(EsException):
    """What an injected 5xx fault answers with."""

    type = "unavailable_shards_exception"
    status = 503


def bad_request(reason):
    """ExceptionsHelper.badRequestException."""
    return StatusException(reason, status=400)


def conflict(reason):
    """ExceptionsHelper.conflictStatusException."""
    return StatusException(reason, status=409)


def missing_job(job_id):
    """ExceptionsHelper.missingJobException."""
    return ResourceNotFound("No known job with id '%s'" % job_id)


def missing_datafeed(datafeed_id):
    """ExceptionsHelper.missingDatafeedException."""
    return ResourceNotFound("No datafeed with id [%s] exists" % datafeed_id)


class ValidationFailed(EsException):
    """ActionRequestValidationException."""

    type = "action_request_validation_exception"
    status = 400

    def __init__(self, errors):
        super().__init__("Validation Failed: " + "".join("%d: %s;" % (i + 1, e) for i, e in enumerate(errors)))


class IndexNotFound(EsException):
    """IndexNotFoundException, with the index and resource fields ES adds to its body."""

    type = "index_not_found_exception"
    status = 404

    def __init__(self, name):
        extra = {"resource.type": "index_or_alias", "resource.id": name, "index_uuid": "_na_", "index": name}
        super().__init__("no such index [%s]" % name, extra=extra)
        self.index = name


class InvalidIndexName(EsException):
    """InvalidIndexNameException: ``Invalid index name [<name>], <why>``."""

    type = "invalid_index_name_exception"
    status = 400

    def __init__(self, name, why):
        super().__init__("Invalid index name [%s], %s" % (name, why), extra={"index_uuid": "_na_", "index": name})


class ParsingException(EsException):
    """ParsingException: a query parser's refusal, with the line and column it points at."""

    type = "parsing_exception"
    status = 400

    def __init__(self, reason, line, col):
        super().__init__(reason, extra={"line": line, "col": col})
