"""Re-aiming a copied root at a new environment: every value derived from the source's name, region, account and VPC
network is rewritten and marked; names in the code, local paths and the shared backend are not. (FIELD-REPORT 4.7)

The names here appear nowhere else in the repository: source `osprey`, target `kestrel`, region mx-central-1,
account 480912376655."""

import ipaddress
import textwrap

from bootstrap.project.networks import free_network, text_networks
from bootstrap.project.retarget import Retarget

NET = ipaddress.ip_network


def retarget(text, **changes):
    plan = Retarget(source="osprey", target="kestrel", other_environments=("osprey-eu", "global_aws"),
                    keep=("heron-tfstate-480912376655",), **changes)
    return plan.rewrite(textwrap.dedent(text))


def marked(text):
    """{line: the marker above it} of every marked line."""
    lines = text.splitlines()
    return {lines[i + 1].strip(): line.strip().removeprefix("# ecsenv: review: ")
            for i, line in enumerate(lines) if line.strip().startswith("# ecsenv: review:")}


def test_values_derived_from_the_name_are_rewritten_and_marked():
    text, changed = retarget("""\
        locals {
          hostname   = "api.osprey.example.com"
          bucket     = "heron-osprey-assets"
          state_key  = "osprey/network.tfstate"
          title      = "Osprey (OSPREY)"
          unrelated  = "ospreys-nest"
          sibling    = "heron-osprey-eu-assets"
          dns        = "${local.zone}.osprey.internal"
        }
        """)
    assert 'hostname   = "api.kestrel.example.com"' in text
    assert 'bucket     = "heron-kestrel-assets"' in text
    assert 'state_key  = "kestrel/network.tfstate"' in text
    assert 'title      = "Kestrel (KESTREL)"' in text
    assert 'unrelated  = "ospreys-nest"' in text, "only the name as a word"
    assert 'sibling    = "heron-osprey-eu-assets"' in text, "another environment's name is not the source's"
    assert 'dns        = "${local.zone}.kestrel.internal"' in text
    assert marked(text) == {
        'hostname   = "api.kestrel.example.com"': 'was "api.osprey.example.com", set for kestrel',
        'bucket     = "heron-kestrel-assets"': 'was "heron-osprey-assets", set for kestrel',
        'state_key  = "kestrel/network.tfstate"': 'was "osprey/network.tfstate", set for kestrel',
        'title      = "Kestrel (KESTREL)"': 'was "Osprey (OSPREY)", set for kestrel',
        'dns        = "${local.zone}.kestrel.internal"': 'was ".osprey.internal", set for kestrel',
    }
    assert changed == 5


def test_names_in_the_code_and_local_paths_stay():
    source = """\
        # The osprey environment.
        module "osprey_db" {
          source = "../../modules/osprey"
          name   = local.osprey_name
          tag    = "${local.osprey_name}-db"
        }

        resource "aws_s3_bucket" "osprey" {
          bucket = module.osprey_db.bucket
        }
        """
    text, changed = retarget(source)
    assert 'module "osprey_db" {' in text and 'resource "aws_s3_bucket" "osprey" {' in text
    assert 'source = "../../modules/osprey"' in text and "local.osprey_name" in text
    assert 'tag    = "${local.osprey_name}-db"' in text
    assert text.startswith("# ecsenv: review: the comment named osprey, now kestrel\n# The kestrel environment.\n")
    assert changed == 1


def test_a_heredoc_is_rewritten_with_the_marker_above_its_opening_line():
    text, _ = retarget("""\
        locals {
          policy = <<-EOT
            {"Resource": "arn:aws:s3:::heron-osprey-logs/${var.prefix}/*"}
          EOT
        }
        """)
    assert text == textwrap.dedent("""\
        locals {
          # ecsenv: review: was "{"Resource": "arn:aws:s3:::heron-osprey-logs/", set for kestrel
          policy = <<-EOT
            {"Resource": "arn:aws:s3:::heron-kestrel-logs/${var.prefix}/*"}
          EOT
        }
        """)


def test_region_and_account_are_replaced_and_what_derives_from_them_is_marked():
    text, _ = retarget("""\
        locals {
          region     = "us-east-1"
          zones      = ["us-east-1a", "us-east-1b"]
          role       = "arn:aws:iam::123456789012:role/deployer"
          state      = "heron-tfstate-480912376655"
          registry   = "123456789012.dkr.ecr.us-east-1.amazonaws.com"
          endpoint   = "https://logs.${local.region}.amazonaws.com"
          same       = 1
        }
        """, region=("us-east-1", "mx-central-1"), account=("123456789012", "480912376655"))
    assert 'region     = "mx-central-1"' in text
    assert 'zones      = ["mx-central-1a", "mx-central-1b"]' in text
    assert 'role       = "arn:aws:iam::480912376655:role/deployer"' in text
    assert 'state      = "heron-tfstate-480912376655"' in text, "the shared state bucket is kept"
    assert 'registry   = "123456789012.dkr.ecr.us-east-1.amazonaws.com"' in text, "global_aws's registry is kept"
    notes = marked(text)
    assert notes['endpoint   = "https://logs.${local.region}.amazonaws.com"'].startswith(
        "uses the region, now mx-central-1 (osprey: us-east-1)")
    assert "state      = \"heron-tfstate-480912376655\"" not in notes and "same       = 1" not in notes


def test_the_vpc_network_and_addresses_inside_it_move_together():
    text, _ = retarget("""\
        vpc_cidr        = "10.10.0.0/16"
        private_subnets = ["10.10.1.0/24", "10.10.2.0/24"]
        dns_server      = "10.10.0.2"
        office          = "10.0.0.0/8"
        elsewhere       = "10.11.0.0/16"
        """, network=(NET("10.10.0.0/16"), NET("10.30.0.0/16")))
    assert 'vpc_cidr        = "10.30.0.0/16"' in text
    assert 'private_subnets = ["10.30.1.0/24", "10.30.2.0/24"]' in text
    assert 'dns_server      = "10.30.0.2"' in text
    assert 'office          = "10.0.0.0/8"' in text and 'elsewhere       = "10.11.0.0/16"' in text
    assert marked(text)['vpc_cidr        = "10.30.0.0/16"'] == 'was "10.10.0.0/16", set for kestrel'


def test_unchanged_text_is_byte_for_byte_the_same():
    source = 'terraform {\n  backend "s3" {}\n}\n\n/* block\n   comment */\nx = "a\\"b" # c\n'
    assert Retarget(source="osprey", target="kestrel").rewrite(source) == (source, 0)


def test_networks_are_found_in_tfvars_locals_and_aws_vpc_blocks():
    assert text_networks('vpc_cidr = "10.10.0.0/16"\nother_cidr = "10.99.0.0/16"\n') == [NET("10.10.0.0/16")]
    assert text_networks('locals {\n  vpc_cidr_block = "172.20.0.0/16" # main\n}\n') == [NET("172.20.0.0/16")]
    hcl = ('resource "aws_vpc" "main" {\n  cidr_block = "10.40.0.0/16"\n  tags = { a = "b" }\n}\n'
           'resource "aws_subnet" "a" {\n  cidr_block = "10.40.1.0/24"\n}\n')
    assert text_networks(hcl) == [NET("10.40.0.0/16")]
    assert text_networks('vpc_cidr = "0.0.0.0/0"\n') == [], "not a private network"
    variables = ('variable "vpc_cidr" {\n  type    = string\n  default = "10.50.0.0/16"\n}\n'
                 'variable "name" {\n  default = "10.60.0.0/16"\n}\n')
    assert text_networks(variables) == [NET("10.50.0.0/16")]


def test_a_free_network_follows_the_spacing_in_use_and_overlaps_nothing():
    used = [NET("10.10.0.0/16"), NET("10.20.0.0/16")]
    assert free_network(NET("10.10.0.0/16"), used) == NET("10.30.0.0/16")
    assert free_network(NET("10.10.0.0/16"), [*used, NET("10.30.0.0/16"), NET("10.40.0.0/20")]) == NET("10.50.0.0/16")
    assert free_network(NET("192.168.0.0/24"), [NET("192.168.0.0/24")]) == NET("192.168.1.0/24")
    assert free_network(NET("10.0.0.0/8"), [NET("10.0.0.0/8")]) is None


def test_a_device_path_is_not_an_environment_called_dev():
    plan = Retarget(source="dev", target="kestrel")
    text, _ = plan.rewrite('device_name = "/dev/xvda"\nbucket = "heron-dev-logs" # mount /dev/xvdf\nkey = "dev/x"\n')
    assert text.splitlines()[0] == 'device_name = "/dev/xvda"'
    assert 'bucket = "heron-kestrel-logs" # mount /dev/xvdf' in text and 'key = "kestrel/x"' in text
