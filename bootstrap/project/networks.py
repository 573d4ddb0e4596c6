"""The VPC networks the environments' roots declare, and a free one for a new environment, so that no two
environments' VPCs overlap (they could not be peered, nor share a VPN, later).

A root's VPC network is a private IPv4 CIDR (RFC 1918) written as the value of a VPC-like setting, in HCL locals, a
module call or a .tfvars file alike: a key naming both "vpc" and "cidr" (`vpc_cidr = "10.10.0.0/16"`), a bare `cidr`
(the community VPC module's argument), `cidr_block` inside a `resource "aws_vpc"` block, or the default of a VPC-like
variable (`variable "vpc_cidr" { default = "10.10.0.0/16" }`)."""

import glob
import ipaddress
import itertools
import os
import re

from bootstrap.project.hcl_text import CODE, STRING, split_lines

PRIVATE_BLOCKS = tuple(ipaddress.ip_network(block) for block in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
ROOT_FILES = ("*.tf", "*.tfvars")
_KEY = re.compile(r'^\s*"?([A-Za-z0-9_-]+)"?\s*=')
_VPC_KEY = re.compile(r"vpc.*cidr|cidr.*vpc", re.IGNORECASE)
_CIDR = re.compile(r"(?<![\d.])\d{1,3}(?:\.\d{1,3}){3}/\d{1,2}(?![\d.])")
_AWS_VPC_BLOCK = re.compile(r'^\s*resource\s+"aws_vpc"')
_VARIABLE_BLOCK = re.compile(r'^\s*variable\s+"([^"]+)"')


def text_networks(text):
    """The VPC networks written in one file's text, in order."""
    networks = []
    depth = 0
    block, block_depth = None, None  # "vpc" inside `resource "aws_vpc"`, "variable" inside a VPC-like variable
    for line in split_lines(text):
        code = "".join(piece.text for piece in line.pieces if piece.kind == CODE)
        key = _KEY.match(line.text)
        name = key.group(1) if key else None
        inside = block_depth is not None and depth == block_depth
        if name and (_VPC_KEY.search(name) or name == "cidr" or (inside and block == "vpc" and name == "cidr_block")
                     or (inside and block == "variable" and name == "default")):
            for piece in line.pieces:
                if piece.kind == STRING:
                    networks += [network for network in map(_network, _CIDR.findall(piece.text)) if network]
        if block is None:
            variable = _VARIABLE_BLOCK.match(line.text)
            if _AWS_VPC_BLOCK.match(line.text):
                block, block_depth = "vpc", depth + 1
            elif variable and _VPC_KEY.search(variable.group(1)):
                block, block_depth = "variable", depth + 1
        depth += code.count("{") - code.count("}")
        if block_depth is not None and depth < block_depth:
            block, block_depth = None, None
    return networks


def _network(text):
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None
    return network if any(network.subnet_of(block) for block in PRIVATE_BLOCKS) else None


def root_networks(directory):
    """The VPC networks of one Terraform root (its .tf and .tfvars files)."""
    networks = []
    for path in sorted(path for pattern in ROOT_FILES for path in glob.glob(os.path.join(directory, pattern))):
        with open(path, encoding="utf-8", errors="replace") as handle:
            networks += text_networks(handle.read())
    return networks


def free_network(like, used):
    """A network as large as `like`, in the same private block, overlapping none of `used`; None when the block is
    full. Tried first: the next ones at the spacing the existing environments use (10.10, 10.20 -> 10.30), then
    every later one, then every earlier one."""
    block = next((block for block in PRIVATE_BLOCKS if like.subnet_of(block)), None)
    if block is None:
        return None
    size = like.num_addresses
    count = block.num_addresses // size

    def index(network):
        return (int(network.network_address) - int(block.network_address)) // size

    start = index(like)
    peers = sorted({index(network) for network in used
                    if network.prefixlen == like.prefixlen and network.subnet_of(block)})
    step = min((later - earlier for earlier, later in zip(peers, peers[1:])), default=1) or 1
    spaced = range(start + step, count, step)
    for candidate_index in itertools.chain(spaced, range(start + 1, count), range(0, start)):
        candidate = ipaddress.ip_network((int(block.network_address) + candidate_index * size, like.prefixlen))
        if not any(candidate.overlaps(network) for network in used):
            return candidate
    return None
