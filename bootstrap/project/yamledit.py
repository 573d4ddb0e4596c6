"""Edits of ecsenv.yaml's text that keep everything else exactly as the person wrote it (comments, blank lines, key
order, quoting): an environment's block is inserted under `environments:` or its lines are taken out. The file is
never re-dumped. The caller validates the result with the normal loader before writing it (config.edit_config).

Positions come from PyYAML's node marks. A block-style `environments:` mapping is edited line by line; an empty or
flow-style one (`environments: {}`) is rewritten in block style, since there are no lines to keep inside it."""

import yaml

from bootstrap.errors import UserError
from bootstrap.project.yamldoc import QuotingDumper, compose

ENVIRONMENTS = "environments"
DEFAULT_STEP = 2


def add_environment(text, name, entry):
    """`text` with `name: entry` added as the last environment."""
    root = compose(text)
    environments = _value(root, ENVIRONMENTS)
    if environments is None:
        ending = "" if not text or text.endswith("\n") else "\n"
        return text + ending + f"{ENVIRONMENTS}:\n" + _entry_text({name: entry}, DEFAULT_STEP, DEFAULT_STEP)
    if not _is_block_mapping(environments):
        return _rewrite_in_block_style(text, environments, {**_entries(environments), name: entry})
    first_key = environments.value[0][0]
    indent = first_key.start_mark.column
    lines = text.splitlines(keepends=True)
    after = _last_line(environments.value[-1][1]) + 1
    if after > len(lines) or (after == len(lines) and not lines[-1].endswith("\n")):
        lines[-1:] = [lines[-1].rstrip("\r\n") + "\n"] if lines else []
    lines[after:after] = [_entry_text({name: entry}, indent, _step(environments, indent))]
    return "".join(lines)


def remove_environment(text, name):
    """`text` without environment `name`'s lines (its key line through its last value line)."""
    root = compose(text)
    environments = _value(root, ENVIRONMENTS)
    keys = [key.value for key, _value_node in environments.value] if isinstance(environments,
                                                                               yaml.MappingNode) else []
    if name not in keys:
        raise UserError(f"environment {name!r} is not in ecsenv.yaml")
    if not _is_block_mapping(environments):
        remaining = {key: value for key, value in _entries(environments).items() if key != name}
        return _rewrite_in_block_style(text, environments, remaining)
    key_node, value_node = environments.value[keys.index(name)]
    lines = text.splitlines(keepends=True)
    first, last = key_node.start_mark.line, max(key_node.start_mark.line, _last_line(value_node))
    del lines[first: last + 1]
    return "".join(lines)


def _value(root, key):
    if not isinstance(root, yaml.MappingNode):
        return None
    for key_node, value_node in root.value:
        if key_node.value == key:
            return value_node
    return None


def _is_block_mapping(node):
    return isinstance(node, yaml.MappingNode) and not node.flow_style and bool(node.value)


def _entries(node):
    """{name: settings} of a (flow or empty) environments node."""
    if not isinstance(node, yaml.MappingNode):
        return {}
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_mapping(node, deep=True)
    finally:
        loader.dispose()


def _rewrite_in_block_style(text, node, entries):
    """Replace a flow-style or empty value with a block mapping, starting on the next line."""
    start, end = node.start_mark.index, node.end_mark.index
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    rest_of_line = text[end:line_end].rstrip()  # a comment after `{}` stays on the key's line
    block = _entry_text(entries, DEFAULT_STEP, DEFAULT_STEP) if entries else ""
    head = text[:start].rstrip(" ")
    if not entries:
        return head + " {}" + rest_of_line + text[line_end:]
    return head + rest_of_line + "\n" + block.rstrip("\n") + text[line_end:] + ("" if text[line_end:] else "\n")


def _last_line(node):
    """The 0-based line where a node's content ends (not counting comments or blank lines after it)."""
    if isinstance(node, yaml.MappingNode) and not node.flow_style and node.value:
        return max(node.value[-1][0].start_mark.line, _last_line(node.value[-1][1]))
    if isinstance(node, yaml.SequenceNode) and not node.flow_style and node.value:
        return _last_line(node.value[-1])
    end = node.end_mark
    return end.line if end.column > 0 else end.line - 1


def _step(environments, indent):
    """How far the environments' settings are indented under their names (2 unless the file says otherwise)."""
    for _key, value in environments.value:
        if _is_block_mapping(value):
            return max(1, value.value[0][0].start_mark.column - indent)
    return DEFAULT_STEP


def _entry_text(entries, indent, step):
    dumped = yaml.dump(entries, Dumper=QuotingDumper, sort_keys=False, default_flow_style=False, indent=step)
    return "".join(" " * indent + line if line.strip() else line for line in dumped.splitlines(keepends=True))
