"""A copy of one environment's Terraform root, re-aimed at a new environment: every value that named the source is
rewritten for the target, and a `# ecsenv: review:` line is put above each line that changed, saying what it was.

What is rewritten, inside string literals, heredoc bodies and comments (never in identifiers or block labels, which
are names in the code, nor in local paths such as a module's `source = "../../modules/x"`):
- the source's name as a word, in any case: "staging", "acme-staging-assets", "staging.example.com",
  "staging/terraform.tfstate", "Staging" (but not inside another environment's name, such as "staging-eu");
- its region and account, when the target's differ ("us-east-1a", ARNs);
- addresses inside its VPC network, moved to the same place in the target's network (subnets keep their layout).
What names the shared backend (the state bucket, the lock table) or global_aws's image registry is left as it is.
When the region or account changes, lines that derive something from them (`local.region`, `var.account_id`) are
marked too: the expression is right for the target only if what it builds lives in the target's region/account."""

import ipaddress
import re
from dataclasses import dataclass

from bootstrap.project.hcl_text import CODE, COMMENT, STRING, split_lines, units

MARKER = "ecsenv: review:"
_ADDRESS = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?:/(\d{1,2}))?(?![\d.])")
_REGISTRY = r"\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com"
_DEVICE_PATH = r"(?:^|(?<=[\s\"'=:]))/dev/"  # /dev/xvda is a device, not an environment called dev
_REGION_USE = re.compile(r"\b(?:local|var)\.[A-Za-z0-9_]*region\b|\bdata\.aws_region\b")
_ACCOUNT_USE = re.compile(r"\b(?:local|var)\.[A-Za-z0-9_]*account[A-Za-z0-9_]*\b|\bdata\.aws_caller_identity\b")
_PATH_PREFIXES = ("./", "../")


@dataclass(frozen=True)
class Retarget:
    source: str
    target: str
    other_environments: tuple = ()  # names never rewritten, even when they contain the source's name
    keep: tuple = ()  # literal texts left as they are (the state bucket, the lock table)
    region: tuple | None = None  # (source's, target's) when they differ
    account: tuple | None = None  # (source's, target's) when they differ
    network: tuple | None = None  # (source's VPC network, target's), ipaddress networks, when known
    marked: bool = True  # False: no `ecsenv: review:` lines (a fresh stack holds nobody's values to review)

    def _pattern(self):
        """One regex whose alternatives are tried left to right: what is kept (group `keep`) before what changes."""
        keep = sorted({*self.keep, *(name for name in self.other_environments if self._names_source(name))},
                      key=len, reverse=True)
        alternatives = [re.escape(text) for text in keep] + [_REGISTRY, _DEVICE_PATH]
        changing = [rf"(?P<name>(?<![A-Za-z0-9]){re.escape(self.source)}(?![A-Za-z0-9]))"]
        if self.region:
            changing.append(rf"(?P<region>(?<![a-z0-9-]){re.escape(self.region[0])}(?![0-9]))")
        if self.account:
            changing.append(rf"(?P<account>(?<!\d){re.escape(self.account[0])}(?!\d))")
        if self.network:
            changing.append(rf"(?P<address>{_ADDRESS.pattern})")
        keep_group = "(?P<keep>" + "|".join(alternatives) + ")"
        return re.compile(keep_group + "|" + "|".join(changing), re.IGNORECASE)

    def _names_source(self, name):
        return name != self.source and re.search(rf"(?<![A-Za-z0-9]){re.escape(self.source)}(?![A-Za-z0-9])",
                                                 name, re.IGNORECASE) is not None

    def _replacement(self, match):
        if match.group("keep"):
            return match.group(0)
        text = match.group(0)
        if match.group("name"):
            return _same_case(text, self.target)
        if self.region and match.group("region"):
            return self.region[1]
        if self.account and match.group("account"):
            return self.account[1]
        return _move_address(text, *self.network)

    def rewrite(self, text):
        """(the rewritten text, how many lines changed)."""
        pattern = self._pattern()
        out, changed = [], 0
        for unit in units(split_lines(text)):
            was, derived, unit_text, in_comment = [], [], [], False
            for line in unit:
                labels = _label_pieces(line)
                is_path = False
                for index, piece in enumerate(line.pieces):
                    if piece.kind == STRING and piece.string_start:
                        is_path = (piece.literal or piece.text).startswith(_PATH_PREFIXES)
                    if piece.kind == CODE:
                        derived += self._derived(piece.text)
                        continue
                    if index in labels or (piece.kind == STRING and is_path):
                        continue
                    new = pattern.sub(self._replacement, piece.text)
                    if new != piece.text:
                        if piece.kind == COMMENT:
                            in_comment = True
                        else:
                            was.append(f'"{piece.text.strip()}"')
                        piece.text = new
                unit_text.append(line.text)
            notes = []
            if was:
                notes.append(f"was {', '.join(dict.fromkeys(was))}, set for {self.target}")
            if in_comment:
                notes.append(f"the comment named {self.source}, now {self.target}")
            notes += dict.fromkeys(derived)
            if notes and unit[0].markable and self.marked:
                first = unit[0].text
                indent = first[: len(first) - len(first.lstrip())]
                out.append(f"{indent}# {MARKER} {'; '.join(notes)}\n")
            changed += bool(notes)
            out += unit_text
        return "".join(out), changed

    def rewrite_value(self, value):
        """One value (e.g. a state key from ecsenv.yaml) as it would be rewritten inside a string."""
        return self._pattern().sub(self._replacement, value)

    def _derived(self, code):
        notes = []
        if self.region and _REGION_USE.search(code):
            notes.append(f"uses the region, now {self.region[1]} ({self.source}: {self.region[0]}): check that "
                         f"what it names is in {self.region[1]}")
        if self.account and _ACCOUNT_USE.search(code):
            notes.append(f"uses the account, now {self.account[1]} ({self.source}: {self.account[0]}): check that "
                         f"what it names is in {self.account[1]}")
        return notes


def _same_case(found, name):
    """`name` written as `found` was: STAGING -> PROD, Staging -> Prod, staging -> prod."""
    if found.isupper():
        return name.upper()
    if found[0].isupper():
        return name[0].upper() + name[1:]
    return name


def rename_words(text, names):
    """`text` with each key of `names` (an environment's name, as a word in any case) replaced by its value, in
    one pass, so that names may be swapped ({"staging": "production", "production": "staging"})."""
    if not names:
        return text
    pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
                         + r")(?![A-Za-z0-9])", re.IGNORECASE)
    return pattern.sub(lambda match: _same_case(match.group(0), names[match.group(0).lower()]), text)


def _label_pieces(line):
    """Indexes of the strings that are block labels (`resource "type" "name" {`): names in the code."""
    if not line.is_block_header:
        return set()
    labels = set()
    for index, piece in enumerate(line.pieces):
        if piece.kind == CODE and "{" in piece.text:
            break
        if piece.kind == STRING:
            labels.add(index)
    return labels


def _move_address(text, old_network, new_network):
    """An address or CIDR inside old_network, at the same offset in new_network; anything else unchanged."""
    match = _ADDRESS.fullmatch(text)
    try:
        address = ipaddress.IPv4Address(match.group(1))
    except ValueError:
        return text
    if address not in old_network:
        return text
    if match.group(2) is not None and int(match.group(2)) < old_network.prefixlen:
        return text  # a wider range that contains the VPC (e.g. 10.0.0.0/8): not the environment's own
    moved = new_network.network_address + (int(address) - int(old_network.network_address))
    return str(moved) + (f"/{match.group(2)}" if match.group(2) is not None else "")


def replace_string(text, old, new, note):
    """`text` with every string literal that is exactly `old` set to `new`, each such line marked with `note`."""
    out = []
    for unit in units(split_lines(text)):
        changed = False
        for line in unit:
            for piece in line.pieces:
                if piece.kind == STRING and piece.string_start and piece.literal == old:
                    piece.text = new
                    changed = True
        if changed and unit[0].markable:
            first = unit[0].text
            out.append(f"{first[: len(first) - len(first.lstrip())]}# {MARKER} {note}\n")
        out += [line.text for line in unit]
    return "".join(out)
