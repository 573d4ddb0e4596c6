"""Read a YAML mapping and remember the line of every key, so validation errors can say `file:line: key: problem`."""

import os
import tempfile

import yaml

from bootstrap.errors import UserError

# libyaml's loader when PyYAML was built with it: several times faster on big files, same nodes and marks.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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


def load_mapping(path, text=None):
    """The mapping in `path` (or in `text`, named `path` in errors: a file's new text, checked before it is
    written)."""
    if text is None:
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except FileNotFoundError:
            raise UserError(f"{path}: no such file") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot be read ({exc})") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise UserError(f"{path}:{line}: not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise UserError(f"{path}: not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise UserError(f"{path}:1: expected a mapping of keys at the top level, found {type(data).__name__}")
    lines = {}
    _record_key_lines(node, (), lines)
    return YamlDoc(path, data, lines)


def compose(text):
    """The document's node tree (with positions), for edits that keep the text around them."""
    return yaml.compose(text, Loader=_Loader)


class QuotingDumper(yaml.SafeDumper):
    """Quotes all-digit strings: account ids like 012345678901 would be numbers to a YAML 1.2 reader."""


QuotingDumper.add_representer(str, lambda dumper, value: dumper.represent_scalar(
    "tag:yaml.org,2002:str", value, style="'" if value.isdigit() else None))


def _record_key_lines(node, prefix, lines):
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            path = prefix + (key_node.value,)
            lines[path] = key_node.start_mark.line + 1
            _record_key_lines(value_node, path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[prefix + (index,)] = item.start_mark.line + 1
            _record_key_lines(item, prefix + (index,), lines)


def check_keys(doc, mapping, allowed, key_path=()):
    """Reject keys outside `allowed`, naming the first unknown one and where it is."""
    for key in mapping:
        if key not in allowed:
            raise doc.error(key_path + (key,),
                            f"unknown key {'.'.join(map(str, key_path + (key,)))!r} "
                            f"(allowed: {', '.join(sorted(allowed))})")


def write_atomically(path, text):
    """Write via a temporary file and rename, so an interrupted write never leaves half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
