"""The Terraform files of a project read with python-hcl2: each file parsed once, its top-level blocks with the
line they start on, and HCL that does not parse as a `UserError` naming file:line.

Only `hcl2.loads` is used (present since python-hcl2 4.x; tested with 8.1.4). Its `with_meta` option adds no line
numbers in 8.x, so a block's line is found in the file's text; strings and labels are unquoted because 8.x keeps their
quotes, and its `__is_block__`/`__comments__` keys are skipped."""

import os
import re
from dataclasses import dataclass

from bootstrap.errors import UserError
from bootstrap.project import layout


@dataclass
class Block:
    type: str
    label: str | None  # the first label, if any
    body: dict
    path: str  # absolute
    line: int


def unquote(value):
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def attributes(body):
    """The attributes and nested blocks of a block body, without python-hcl2's metadata keys."""
    return {unquote(key): value for key, value in body.items() if not str(key).startswith("__")}


def settings(body):
    """The attributes of a block body (or a whole backend file) as plain values: `key = "x"` -> {"key": "x"}."""
    return {key: unquote(value) for key, value in attributes(body).items()}


def parse_text(text):
    import hcl2  # imported when a check runs only

    return hcl2.loads(text)


def _describe_parse_error(error):
    """(line, reason) of a python-hcl2 / lark error."""
    error = getattr(error, "orig_exc", None) or error  # lark's VisitError wraps the transformer's error
    line = getattr(error, "line", None)
    if not isinstance(line, int) or line < 1:
        match = re.search(r"line (\d+)", str(error))
        line = int(match.group(1)) if match else 1
    name = type(error).__name__
    token = getattr(error, "token", None)
    if name == "UnexpectedEOF" or getattr(token, "type", None) == "$END":
        return line, "unexpected end of file (an unclosed block, string or bracket?)"
    elif token is not None:
        text = str(token).strip().splitlines()[0] if str(token).strip() else repr(str(token))
        reason = f"unexpected {text[:40]!r}"
    elif getattr(error, "char", None) is not None:
        reason = f"unexpected character {error.char!r}"
    else:
        reason = (str(error).strip().splitlines() or [name])[0]
    column = getattr(error, "column", None)
    if isinstance(column, int) and column > 0:
        reason += f" at column {column}"
    return line, reason


class TerraformFiles:
    """The .tf (and backend) files under one project directory, each parsed at most once."""

    def __init__(self, project_dir):
        self.project_dir = project_dir
        self._parsed = {}  # absolute path -> (text, dict)

    # -- files ----------------------------------------------------------------------------------------------------

    def rel(self, path):
        return os.path.relpath(path, self.project_dir).replace(os.sep, "/")

    def parse(self, path):
        if path not in self._parsed:
            try:
                with open(path, encoding="utf-8") as handle:
                    text = handle.read()
            except UnicodeDecodeError:
                raise UserError(f"{self.rel(path)}:1: not UTF-8 text, cannot parse it as HCL") from None
            try:
                data = parse_text(text)
            except Exception as error:  # noqa: BLE001 - lark's parse errors, and python-hcl2's own, carry the line where they can
                line, reason = _describe_parse_error(error)
                line = max(1, min(line, text.count("\n") + 1))
                raise UserError(f"{self.rel(path)}:{line}: not valid HCL: {reason}") from None
            self._parsed[path] = (text, data)
        return self._parsed[path]

    @staticmethod
    def tf_files(directory):
        try:
            names = sorted(os.listdir(directory))
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [os.path.join(directory, name) for name in names
                if name.endswith(".tf") and os.path.isfile(os.path.join(directory, name))]

    def subdirectories(self, parent):
        return layout.subdirectories(os.path.join(self.project_dir, parent))

    def environment_dirs(self):
        return layout.environment_dirs(self.project_dir)

    # -- blocks ---------------------------------------------------------------------------------------------------

    def blocks(self, path, block_type):
        """The top-level blocks of one type in a file; labelled types (module, variable) by their first label."""
        text, data = self.parse(path)
        found = []
        for entry in data.get(block_type) or []:
            if not isinstance(entry, dict):
                continue
            if block_type == "terraform":
                found.append(Block(block_type, None, attributes(entry), path, block_line(text, block_type, None)))
                continue
            for label, body in entry.items():
                if str(label).startswith("__") or not isinstance(body, dict):
                    continue
                label = unquote(label)
                found.append(Block(block_type, label, attributes(body), path, block_line(text, block_type, label)))
        return found

    def directory_blocks(self, directory, block_type):
        return [block for path in self.tf_files(directory) for block in self.blocks(path, block_type)]

    def module_variables(self, directory):
        """{variable name: has a default} of the module in `directory`."""
        return {block.label: "default" in block.body for block in self.directory_blocks(directory, "variable")}

    def backends(self, directory):
        """[(backend type, its settings, the terraform block declaring it)] of a root, in file order."""
        found = []
        for block in self.directory_blocks(directory, "terraform"):
            for entry in block.body.get("backend") or []:
                if isinstance(entry, dict):
                    found += [(unquote(label), body, block) for label, body in entry.items()
                              if not str(label).startswith("__")]
        return found


def block_line(text, block_type, label):
    """1-based line of `block_type "label" {` (label quoted or not) in HCL text; 1 if not found."""
    label_pattern = "" if label is None else r'[ \t]+(?:"' + re.escape(label) + r'"|' + re.escape(label) + r")"
    match = re.search(r"^[ \t]*" + re.escape(block_type) + label_pattern + r"[ \t]*\{", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1


def attribute_line(text, key):
    match = re.search(r"^[ \t]*" + re.escape(key) + r"[ \t]*=", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1
