"""A small index layer, only what datafeeds and their tests need: indices with mappings, documents, refresh,
aliases and field capabilities (ES MetadataCreateIndexService, DocumentParser's dynamic mapping,
TransportFieldCapabilitiesAction). Kept in memory; ``POST /_emulator/reset`` wipes it."""

from __future__ import annotations

import fnmatch
import re
import secrets

from .errors import (EsException, IllegalArgument, IndexNotFound, InvalidIndexName, ResourceAlreadyExists, StatusException,
                     ValidationFailed, bad_request)
from .values import epoch_or_iso_ms

# Strings.INVALID_FILENAME_CHARS: the characters sorted, each quoted, joined with commas (ES Strings)
_INVALID_CHARS = sorted('\\/*?"<>| ,')
INVALID_CHARS_TEXT = "[" + ",".join("'%s'" % c for c in _INVALID_CHARS) + "]"
AGGREGATABLE = {"keyword", "long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float",
                "unsigned_long", "date", "date_nanos", "boolean", "ip", "constant_keyword", "wildcard", "version"}
NUMERIC = {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
# RootObjectMapper's dynamic_date_formats: strict_date_optional_time and the two slash forms
_DATE_DETECTION = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?(Z|[+-]\d{2}:?\d{2})?\Z"
                             r"|\d{4}/\d{2}/\d{2}( \d{2}:\d{2}:\d{2})?( [+-]\d{4})?\Z")


def validate_index_name(name):
    """MetadataCreateIndexService.validateIndexOrAliasName, then validateIndexName's lowercase rule."""
    if any(c in name for c in _INVALID_CHARS):
        raise InvalidIndexName(name, "must not contain the following characters " + INVALID_CHARS_TEXT)
    if "#" in name:
        raise InvalidIndexName(name, "must not contain '#'")
    if ":" in name:
        raise InvalidIndexName(name, "must not contain ':'")
    if name[:1] in ("_", "-", "+"):
        raise InvalidIndexName(name, "must not start with '_', '-', or '+'")
    size = len(name.encode("utf-8"))
    if size > 255:
        raise InvalidIndexName(name, "index name is too long, (%d > 255)" % size)
    if name in (".", ".."):
        raise InvalidIndexName(name, "must not be '.' or '..'")
    if name.lower() != name:
        raise InvalidIndexName(name, "must be lowercase")


def _dynamic_type(value):
    """DocumentParser's dynamic mapping of a JSON value: the field's mapping, or None for null."""
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "long"}
    if isinstance(value, float):
        return {"type": "float"}
    if isinstance(value, str):
        if _DATE_DETECTION.match(value):
            return {"type": "date"}
        return {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}}
    if isinstance(value, dict):
        return {"properties": {}}
    return None


def _map_document(properties, source):
    """Add mappings for the fields of ``source`` that have none (dynamic: true)."""
    for key, value in source.items():
        if isinstance(value, list):
            value = next((v for v in value if v is not None), None)
        if key not in properties:
            mapping = _dynamic_type(value)
            if mapping is None:
                continue
            properties[key] = mapping
        if isinstance(value, dict) and "properties" in properties[key]:
            _map_document(properties[key]["properties"], value)


def flat_fields(properties, prefix=""):
    """``{path: mapping}`` for every leaf field and multi-field (``message.keyword``)."""
    out = {}
    for name, mapping in properties.items():
        path = prefix + name
        if "properties" in mapping:
            out.update(flat_fields(mapping["properties"], path + "."))
            continue
        out[path] = mapping
        for sub, sub_mapping in (mapping.get("fields") or {}).items():
            out[path + "." + sub] = sub_mapping
    return out


def value_at(source, path):
    """A document's value for a dotted field path (nested objects or dotted keys); None when absent."""
    if path in source:
        return source[path]
    head, _dot, rest = path.partition(".")
    while rest:
        if isinstance(source.get(head), dict):
            found = value_at(source[head], rest)
            if found is not None:
                return found
        more, _dot, rest = rest.partition(".")
        head = head + "." + more
    return None


class Index:
    def __init__(self, name, mappings, settings):
        self.name = name
        self.uuid = secrets.token_urlsafe(16)[:22]
        self.properties = dict((mappings or {}).get("properties") or {})
        self.settings = settings
        self.docs = {}  # id -> source
        self.visible = set()  # ids a search sees (refreshed)
        self.seq_no = -1
        self.versions = {}


class IndexStore:
    def __init__(self, cluster):
        self.cluster = cluster
        self.indices = {}
        self.aliases = {}  # alias -> set of index names

    # -- names -------------------------------------------------------------------------------------------------

    def resolve(self, expression, ignore_unavailable=False, allow_no_indices=True):
        """Concrete index names for a comma list of names, aliases and wildcards (IndexNameExpressionResolver)."""
        found = []
        for token in [t for t in (expression or "_all").split(",") if t]:
            if token in ("_all", "*") or "*" in token:
                pattern = "*" if token == "_all" else token
                names = [n for n in self.indices  # hidden (dot) indices only for a pattern that starts with a dot
                         if fnmatch.fnmatchcase(n, pattern) and (pattern.startswith(".") or not n.startswith("."))]
                names += [i for a, members in self.aliases.items() if fnmatch.fnmatchcase(a, pattern) for i in members]
                if not names and not allow_no_indices:
                    raise IndexNotFound(token)
                found.extend(names)
            elif token in self.indices:
                found.append(token)
            elif token in self.aliases:
                found.extend(sorted(self.aliases[token]))
            elif not ignore_unavailable:
                raise IndexNotFound(token)
        return sorted(set(found))

    def _index(self, name):
        if name not in self.indices:
            raise IndexNotFound(name)
        return self.indices[name]

    # -- indices -----------------------------------------------------------------------------------------------

    def create(self, name, body):
        validate_index_name(name)
        body = body or {}
        if name in self.indices:
            index = self.indices[name]
            raise ResourceAlreadyExists("index [%s/%s] already exists" % (name, index.uuid),
                                        extra={"index_uuid": index.uuid, "index": name})
        if name in self.aliases:
            raise InvalidIndexName(name, "already exists as alias")
        mappings = body.get("mappings") or {}
        if not isinstance(mappings, dict) or not isinstance(mappings.get("properties", {}), dict):
            raise bad_request("Failed to parse mapping: mappings must be an object with properties")
        settings = dict(body.get("settings") or {})
        self.indices[name] = Index(name, _plain(mappings), _plain(settings))
        for alias in (body.get("aliases") or {}):
            self.aliases.setdefault(alias, set()).add(name)
        return {"acknowledged": True, "shards_acknowledged": True, "index": name}

    def exists(self, expression):
        try:
            return bool(self.resolve(expression, allow_no_indices=False))
        except IndexNotFound:
            return False

    def get(self, expression, params):
        names = self.resolve(expression, params.get("ignore_unavailable", False), params.get("allow_no_indices", True))
        return dict((n, {"aliases": self._aliases_of(n), "mappings": self._mapping(n),
                         "settings": {"index": self._settings(n)}}) for n in names)

    def get_mapping(self, expression, params):
        names = self.resolve(expression, params.get("ignore_unavailable", False), params.get("allow_no_indices", True))
        return dict((n, {"mappings": self._mapping(n)}) for n in names)

    def delete(self, expression):
        if any(t in ("_all", "*") or "*" in t for t in expression.split(",")):
            raise IllegalArgument("Wildcard expressions or all indices are not allowed")  # destructive_requires_name
        for name in self.resolve(expression):
            del self.indices[name]
            for members in self.aliases.values():
                members.discard(name)
        self.aliases = dict((a, m) for a, m in self.aliases.items() if m)
        return {"acknowledged": True}

    def _aliases_of(self, name):
        return dict((a, {}) for a, members in sorted(self.aliases.items()) if name in members)

    def _mapping(self, name):
        props = self.indices[name].properties
        return {"properties": props} if props else {}

    def _settings(self, name):
        index = self.indices[name]
        out = {"number_of_shards": "1", "number_of_replicas": "1", "provided_name": name, "uuid": index.uuid,
               "creation_date": str(self.cluster.now_ms()), "version": {"created": "9009000"}}
        flat = index.settings.get("index", index.settings)
        for key, value in flat.items():
            out[key.replace("index.", "")] = str(value) if not isinstance(value, dict) else value
        return out

    def put_alias(self, expression, alias):
        validate_index_name(alias)
        for name in self.resolve(expression):
            self.aliases.setdefault(alias, set()).add(name)
        return {"acknowledged": True}

    def update_aliases(self, body):
        actions = (body or {}).get("actions")
        if not actions:
            raise bad_request("No action specified")
        for action in actions:
            (kind, spec), = action.items()
            indices = [spec["index"]] if "index" in spec else list(spec.get("indices") or [])
            aliases = [spec["alias"]] if "alias" in spec else list(spec.get("aliases") or [])
            for expression in indices:
                for name in self.resolve(expression):
                    for alias in aliases:
                        if kind == "add":
                            self.aliases.setdefault(alias, set()).add(name)
                        elif kind == "remove":
                            self.aliases.get(alias, set()).discard(name)
        self.aliases = dict((a, m) for a, m in self.aliases.items() if m)
        return {"acknowledged": True, "errors": False}

    # -- documents ---------------------------------------------------------------------------------------------

    def index_doc(self, name, doc_id, source, params, op_type=None):
        """Index one document, creating the index (dynamic mapping) when there is none; (result, status)."""
        if name in self.aliases:
            members = sorted(self.aliases[name])
            if len(members) != 1:
                raise IllegalArgument("no write index is defined for alias [%s]. The write index may be explicitly "
                                      "disabled using is_write_index=false or the alias points to multiple indices "
                                      "without one being designated as a write index" % name)
            name = members[0]
        if name not in self.indices:
            self.create(name, None)
        index = self.indices[name]
        if not isinstance(source, dict):
            raise bad_request("request body must be a JSON object")
        doc_id = doc_id or secrets.token_urlsafe(15)[:20]
        created = doc_id not in index.docs
        if not created and (op_type or params.get("op_type")) == "create":
            raise _version_conflict(name, doc_id, index)
        _map_document(index.properties, source)
        index.docs[doc_id] = _plain(source)
        index.visible.discard(doc_id)
        index.seq_no += 1
        index.versions[doc_id] = index.versions.get(doc_id, 0) + 1
        if params.get("refresh") in ("true", "", "wait_for", True):
            index.visible = set(index.docs)
        result = {"_index": name, "_id": doc_id, "_version": index.versions[doc_id],
                  "result": "created" if created else "updated",
                  "_shards": {"total": 2, "successful": 1, "failed": 0},
                  "_seq_no": index.seq_no, "_primary_term": 1}
        return result, 201 if created else 200

    def delete_doc(self, name, doc_id):
        index = self._index(name)
        found = index.docs.pop(doc_id, None) is not None
        index.visible.discard(doc_id)
        index.seq_no += 1
        return {"_index": name, "_id": doc_id, "_version": index.versions.get(doc_id, 0) + 1,
                "result": "deleted" if found else "not_found",
                "_shards": {"total": 2, "successful": 1, "failed": 0}, "_seq_no": index.seq_no,
                "_primary_term": 1}, 200 if found else 404

    def bulk(self, default_index, lines, params):
        """``_bulk``: action lines (index, create, delete) each followed by its source where it takes one."""
        items, errors, position = [], False, 0
        while position < len(lines):
            action = lines[position]
            position += 1
            if not isinstance(action, dict) or len(action) != 1:
                raise IllegalArgument("Malformed action/metadata line [%d], expected START_OBJECT or END_OBJECT "
                                      "but found [VALUE_STRING]" % position)
            (kind, meta), = action.items()
            if kind not in ("index", "create", "delete"):
                raise IllegalArgument("Malformed action/metadata line [%d], expected field [create], [delete], "
                                      "[index] or [update] but found [%s]" % (position, kind))
            name = meta.get("_index") or default_index
            if name is None:
                raise ValidationFailed(["index is missing"])
            try:
                if kind == "delete":
                    result, status = self.delete_doc(name, meta.get("_id"))
                else:
                    source = lines[position]
                    position += 1
                    result, status = self.index_doc(name, meta.get("_id"), source, {}, op_type=kind)
            except EsException as exc:  # each item fails on its own (ES TransportBulkAction)
                errors = True
                result = {"_index": name, "_id": meta.get("_id"), "status": exc.status, "error": exc.to_dict()}
                status = exc.status
            result["status"] = status
            items.append({kind: result})
        if params.get("refresh") in ("true", "", "wait_for", True):
            for index in self.indices.values():
                index.visible = set(index.docs)
        return {"errors": errors, "took": 1, "items": items}

    def refresh(self, expression):
        names = self.resolve(expression)
        for name in names:
            self.indices[name].visible = set(self.indices[name].docs)
        return {"_shards": {"total": 2 * len(names), "successful": len(names), "failed": 0}}

    def refresh_all(self):
        """The periodic refresh (index.refresh_interval, 1s by default): what was indexed becomes searchable."""
        for index in self.indices.values():
            if str(index.settings.get("index", index.settings).get("refresh_interval", "1s")) != "-1":
                index.visible = set(index.docs)

    def documents(self, names):
        """The searchable documents of concrete indices: (index name, source)."""
        for name in names:
            index = self.indices[name]
            for doc_id in sorted(index.visible):
                yield name, index.docs[doc_id]

    # -- field capabilities ------------------------------------------------------------------------------------

    def mapped_fields(self, names):
        """``{field: {type: aggregatable}}`` over concrete indices."""
        out = {}
        for name in names:
            for path, mapping in flat_fields(self.indices[name].properties).items():
                kind = mapping.get("type", "object")
                aggregatable = kind in AGGREGATABLE or (kind == "text" and bool(mapping.get("fielddata")))
                out.setdefault(path, {})[kind] = out.get(path, {}).get(kind, True) and aggregatable
        return out

    def field_caps(self, expression, params, body):
        fields = params.get("fields") or ((body or {}).get("fields") if isinstance(body, dict) else None)
        if not fields:
            raise IllegalArgument("specified fields can't be null or empty")
        if isinstance(fields, str):
            fields = [f for f in fields.split(",") if f]
        names = self.resolve(expression, params.get("ignore_unavailable", False), params.get("allow_no_indices", True))
        caps = {}
        for path, kinds in self.mapped_fields(names).items():
            if not any(fnmatch.fnmatchcase(path, f) for f in fields):
                continue
            caps[path] = dict((kind, {"type": kind, "metadata_field": False, "searchable": True,
                                      "aggregatable": aggregatable}) for kind, aggregatable in kinds.items())
        return {"indices": names, "fields": caps}


def _version_conflict(name, doc_id, index):
    exc = StatusException("[%s]: version conflict, document already exists (current version [%d])"
                          % (doc_id, index.versions.get(doc_id, 1)), status=409)
    exc.type = "version_conflict_engine_exception"
    exc.extra = {"index_uuid": index.uuid, "shard": "0", "index": name}
    return exc


def _plain(value):
    """JSON as plain dicts and lists (the parser's objects keep key positions)."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def epoch_of(value, fmt=None):
    """A date field's value in epoch ms, read as its mapping's ``format`` says (the default,
    strict_date_optional_time||epoch_millis: ISO 8601 or epoch ms; ``epoch_second``: seconds), or None."""
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None:
        return None
    if fmt and fmt.split("||")[0] == "epoch_second" and not isinstance(value, bool):
        try:
            return int(float(value) * 1000)
        except (TypeError, ValueError):
            pass
    return epoch_or_iso_ms(value)
