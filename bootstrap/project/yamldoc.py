"""Read a YAML mapping and remember the line of every key, so validation errors can say `file:line: key: problem`.

ecsenv.yaml comes with a cloned repository and an answers file from anywhere, so the reader is strict about what
YAML may do beyond plain mappings, lists and scalars:
- anchors and aliases are refused outright: an alias bomb (nested `&a [*b, *b, ...]`) expands exponentially, and
  nothing ecsenv reads needs them;
- a key given twice in one mapping is an error naming both lines (YAML 1.2 requires unique keys; PyYAML would keep
  the last silently);
- every key is a string: `123:` or `yes:` would be an int or a bool, which no setting is named;
- a date-like scalar (`2024-01-01`) stays a string: no setting is a timestamp;
- whatever else goes wrong (a control character, a value the constructor cannot build, nesting too deep) is one
  `file:line: ...` message, never a traceback.
"""

import yaml

from bootstrap.errors import UserError

MAX_BYTES = 1 << 20  # ecsenv.yaml and answers files are a few hundred bytes; anything this big is not one
_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_KINDS = {"int": "a number", "float": "a number", "bool": "true/false", "null": "null", "binary": "binary data"}


class _Refused(yaml.MarkedYAMLError):
    """Something ecsenv refuses to read, at a known place."""


class _StrictLoader(yaml.SafeLoader):
    """The safe loader without aliases, anchors, merge keys or timestamps, and with any construction problem turned
    into a marked error (so it carries a line)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise _Refused(None, None, f"YAML aliases (*{event.anchor}) are not allowed: write the value out",
                           event.start_mark)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Refused(None, None, f"YAML anchors (&{anchor}) are not allowed: write the value out",
                           event.start_mark)
        return super().compose_node(parent, index)

    def construct_object(self, node, deep=False):
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, OverflowError) as exc:
            raise _Refused(None, None, f"cannot read this value ({exc})", node.start_mark) from None


# Date-like scalars stay strings: drop the implicit timestamp resolver (a copy, so PyYAML's own loaders keep theirs).
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


class YamlDoc:
    """A loaded YAML document plus the line number of every mapping key, addressed by key path."""

    def __init__(self, path, data, lines):
        self.path = path
        self.data = data
        self._lines = lines

    def line(self, *key_path):
        """The line of the longest known prefix of key_path (1 when nothing matches)."""
        for end in range(len(key_path), 0, -1):
            if key_path[:end] in self._lines:
                return self._lines[key_path[:end]]
        return 1

    def error(self, key_path, message):
        return UserError(f"{self.path}:{self.line(*key_path)}: {message}")


def _one_line(text):
    return " ".join(str(text).split())


def _read_text(path, text=None):
    if text is not None:
        return text
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a directory, not a YAML file") from None
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise UserError(f"{path}:1: larger than {MAX_BYTES // 1024} KiB: not an ecsenv file")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise UserError(f"{path}:{line}: not UTF-8 text (byte 0x{raw[exc.start]:02x})") from None


def load_mapping(path, text=None):
    """The mapping in `path` (or in `text`, named `path` in errors: a file's new text, checked before it is
    written)."""
    text = _read_text(path, text)
    loader = None
    try:
        loader = _StrictLoader(text)  # the reader checks every character here
        node = loader.get_single_node()
        lines = {}
        if node is not None:
            _check_keys_and_record_lines(node, (), lines)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        what = exc.problem if isinstance(exc, _Refused) else f"not valid YAML: {exc.problem or exc.context}"
        raise UserError(f"{path}:{line}: {_one_line(what)}") from None
    except yaml.reader.ReaderError as exc:  # a control character (NUL, ...) or a BOM in the middle
        line = text[:exc.position].count("\n") + 1
        raise UserError(f"{path}:{line}: not valid YAML: the character #x{exc.character:04x} is not allowed "
                        "in YAML text") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}:1: not valid YAML: {_one_line(exc)}") from None
    except RecursionError:
        raise UserError(f"{path}:1: not valid YAML for ecsenv: nested too deeply") from None
    finally:
        if loader is not None:
            loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}:1: expected a mapping of keys at the top level, found {type(data).__name__}")
    return YamlDoc(path, data, lines)


def compose(text):
    """The document's node tree (with positions), for edits that keep the text around them (the same strict reader:
    no aliases)."""
    loader = _StrictLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class QuotingDumper(yaml.SafeDumper):
    """Quotes all-digit strings: account ids like 012345678901 would be numbers to a YAML 1.2 reader."""


QuotingDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="'" if value.isdigit() else None))


def write_atomically(path, text, project_dir=None):
    """Kept for its callers: bootstrap/project/files.py writes (atomically, never through a link, the umask's mode)."""
    import os

    from bootstrap.project import files

    files.write_text(path, text, project_dir if project_dir is not None else os.path.dirname(os.path.abspath(path)))


def _check_keys_and_record_lines(node, prefix, lines, depth=0):
    """Walk the node tree (a tree: aliases were refused): every key a string scalar, no key twice in a mapping;
    record the line of every key and list item."""
    if depth > 50:
        raise _Refused(None, None, "nested too deeply for an ecsenv file", node.start_mark)
    if isinstance(node, yaml.MappingNode):
        seen = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _MERGE_TAG:
                raise _Refused(None, None, "keys must be plain names (no lists, mappings or `<<` merges as keys)",
                               key_node.start_mark)
            key = key_node.value
            if key_node.tag != _STR_TAG:
                kind = _KINDS.get(key_node.tag.rsplit(":", 1)[-1], key_node.tag)
                raise _Refused(None, None, f"key {key!r} is read as {kind}, not a name: quote it ('{key}')",
                               key_node.start_mark)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _Refused(None, None, f"duplicate key {'.'.join(map(str, prefix + (key,)))!r} "
                               f"(first on line {seen[key]})", key_node.start_mark)
            seen[key] = line
            lines[prefix + (key,)] = line
            _check_keys_and_record_lines(value_node, prefix + (key,), lines, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[prefix + (index,)] = item.start_mark.line + 1
            _check_keys_and_record_lines(item, prefix + (index,), lines, depth + 1)


def check_keys(doc, mapping, allowed, key_path=()):
    """Reject keys outside `allowed`, naming the first unknown one and where it is."""
    for key in mapping:
        if key not in allowed:
            raise doc.error(key_path + (key,),
                            f"unknown key {'.'.join(map(str, key_path + (key,)))!r} "
                            f"(allowed: {', '.join(sorted(allowed))})")


def expect_type(doc, key_path, value, kind, what):
    """`value` must be of `kind` (a type or tuple of types): else `file:line: key must be what, not a list`."""
    if not isinstance(value, kind):
        found = "nothing" if value is None else {"dict": "a mapping", "list": "a list", "str": "a string",
                                                 "int": "a number", "float": "a number", "bool": "true/false",
                                                 "bytes": "binary data"}.get(type(value).__name__,
                                                                             type(value).__name__)
        name = ".".join(map(str, key_path))
        raise doc.error(key_path, f"{name!r} must be {what}, not {found}")
    return value
