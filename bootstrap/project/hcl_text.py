"""HCL source text (a .tf or .tfvars file) cut into pieces, line by line, so a tool can change the text inside string
literals and comments without touching the code around them, and put a comment line above any line it changed.

Each line becomes a list of `Piece`s whose texts, joined, are exactly the line. Kinds:
- CODE: everything that is not literal text (identifiers, operators, the quotes, `${ ... }` interpolations);
- STRING: the literal text of a quoted string (between its quotes, outside interpolations);
- HEREDOC: the literal text of a heredoc body line;
- COMMENT: a `#`, `//` or `/* */` comment (or the part of a block comment on this line).

A `Line` also says whether a comment line may be put above it (not inside a heredoc body or a block comment, where
it would become part of the text) and which heredoc it opens, so a caller can treat an opener and its body as one
unit. Not a full HCL parser: python-hcl2 throws away comments and layout, which this keeps byte for byte."""

import re
from dataclasses import dataclass

CODE, STRING, HEREDOC, COMMENT = "code", "string", "heredoc", "comment"
_HEREDOC_OPENER = re.compile(r"<<(-?)([A-Za-z_][A-Za-z0-9_-]*)[ \t]*$")
_BLOCK_HEADER = re.compile(r'^\s*[A-Za-z_][A-Za-z0-9_-]*(\s+("[^"]*"|[A-Za-z_][A-Za-z0-9_-]*))+\s*\{')


@dataclass
class Piece:
    kind: str
    text: str
    string_start: bool = False  # the first literal piece of a quoted string (whose whole text is `literal`)
    literal: str | None = None  # for a string_start piece: the string's text when it has no interpolation


@dataclass
class Line:
    pieces: list
    markable: bool  # a comment line may be put above this line
    opens_heredoc: str | None  # the heredoc's closing word, when this line opens one

    @property
    def text(self):
        return "".join(piece.text for piece in self.pieces)

    @property
    def is_block_header(self):
        """`resource "aws_s3_bucket" "assets" {`: its strings are labels (names in the code), not values."""
        return bool(_BLOCK_HEADER.match(self.text))


def split_lines(text):
    """The text as `Line`s (line endings stay in the last piece of each line)."""
    lines = []
    heredoc = None  # the closing word while inside a heredoc body
    in_block_comment = False
    for raw in text.splitlines(keepends=True):
        if heredoc is not None:
            if raw.strip() == heredoc:
                heredoc = None
                lines.append(Line([Piece(CODE, raw)], markable=False, opens_heredoc=None))
            else:
                pieces = []
                _split_string(raw, 0, pieces, kind=HEREDOC)
                lines.append(Line(pieces, markable=False, opens_heredoc=None))
            continue
        markable = not in_block_comment
        pieces, in_block_comment = _split_code_line(raw, in_block_comment)
        code = "".join(piece.text for piece in pieces if piece.kind == CODE).rstrip("\r\n")
        match = _HEREDOC_OPENER.search(code)
        opens = match.group(2) if match and not in_block_comment else None
        lines.append(Line(pieces, markable=markable, opens_heredoc=opens))
        heredoc = opens
    return lines


def _split_code_line(raw, in_block_comment):
    """(pieces, still inside a block comment at the end of the line)."""
    pieces = []
    position = 0
    if in_block_comment:
        end = raw.find("*/")
        if end < 0:
            return [Piece(COMMENT, raw)], True
        pieces.append(Piece(COMMENT, raw[: end + 2]))
        position = end + 2
    code_start = position
    while position < len(raw):
        char = raw[position]
        if char == "#" or raw.startswith("//", position):
            _add(pieces, CODE, raw[code_start:position])
            pieces.append(Piece(COMMENT, raw[position:]))
            return pieces, False
        if raw.startswith("/*", position):
            _add(pieces, CODE, raw[code_start:position])
            end = raw.find("*/", position + 2)
            if end < 0:
                pieces.append(Piece(COMMENT, raw[position:]))
                return pieces, True
            pieces.append(Piece(COMMENT, raw[position: end + 2]))
            position = code_start = end + 2
            continue
        if char == '"':
            _add(pieces, CODE, raw[code_start: position + 1])
            position = _split_string(raw, position + 1, pieces)
            code_start = position
            continue
        position += 1
    _add(pieces, CODE, raw[code_start:])
    return pieces, False


def _split_string(raw, position, pieces, kind=STRING):
    """Pieces of a quoted string whose opening quote is before `position` (or, for kind HEREDOC, of a heredoc body
    line); returns the position after its closing quote (or the line's end). Interpolations `${...}` / `%{...}` are
    CODE, with any strings inside them split too."""
    literal_start = position
    first = len(pieces)
    interpolated = False
    while position < len(raw):
        char = raw[position]
        if char == "\\":
            position += 2
            continue
        if raw.startswith(("${", "%{"), position) and not raw.startswith(("$${", "%%{"), position - 1):
            interpolated = True
            _add(pieces, kind, raw[literal_start:position])
            position = _split_interpolation(raw, position, pieces)
            literal_start = position
            continue
        if (kind == STRING and char == "\"") or char in "\r\n":
            break
        position += 1
    _add(pieces, kind, raw[literal_start:position])
    if kind == HEREDOC:
        _add(pieces, CODE, raw[position:])  # the line ending
        return len(raw)
    literals = [piece for piece in pieces[first:] if piece.kind == STRING]
    if literals:
        literals[0].string_start = True
        literals[0].literal = None if interpolated else literals[0].text
    if position < len(raw) and raw[position] == '"':
        _add(pieces, CODE, '"')
        position += 1
    return position


def _split_interpolation(raw, position, pieces):
    """CODE up to the `}` closing the interpolation that starts at `position`; strings inside are split."""
    code_start = position
    position += 2
    depth = 1
    while position < len(raw) and depth:
        char = raw[position]
        if char == '"':
            _add(pieces, CODE, raw[code_start: position + 1])
            position = _split_string(raw, position + 1, pieces)
            code_start = position
            continue
        depth += {"{": 1, "}": -1}.get(char, 0)
        position += 1
    _add(pieces, CODE, raw[code_start:position])
    return position


def _add(pieces, kind, text):
    if text:
        if pieces and pieces[-1].kind == kind == CODE:
            pieces[-1].text += text
        else:
            pieces.append(Piece(kind, text))


def units(lines):
    """The lines grouped into units a comment line can be put above: a single line, or a heredoc's opening line
    with its body and closing line. A unit starting with a line that is not markable (inside a block comment)
    is its own unit too; a caller leaves it unmarked."""
    grouped, index = [], 0
    while index < len(lines):
        end = index + 1
        if lines[index].opens_heredoc is not None:
            while end < len(lines) and not lines[end].markable:
                end += 1
        grouped.append(lines[index:end])
        index = end
    return grouped
