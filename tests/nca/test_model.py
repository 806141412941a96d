"""The model's value checks: ports, names, job names, addresses."""

from __future__ import annotations

import pytest

from pagent.nca.model import NcaError, Port, check_address, check_job, check_name, parse_port


@pytest.mark.parametrize(
    ("text", "port", "value"),
    [
        ("9443", Port("single", 9443, 9443), "9443"),
        ("ephemeral", Port("ephemeral"), "1024-65535"),
        ("ALL", Port("all"), None),
        ("9000-9010", Port("range", 9000, 9010), "9000-9010"),
    ],
)
def test_a_port_choice_reads_as_the_panel_offers_it(text, port, value):
    assert parse_port(text, "--remote-port") == port
    assert port.policy_value == value


@pytest.mark.parametrize("text", ["0", "65536", "9010-9000", "9443-9443", "http", "1-", ""])
def test_a_bad_port_is_an_error_naming_the_argument(text):
    with pytest.raises(NcaError) as err:
        parse_port(text, "--local-port")
    assert err.value.argument == "--local-port"
    assert str(err.value).startswith("--local-port: ")


def test_a_name_longer_than_32_characters_is_refused():
    with pytest.raises(NcaError, match="1 to 32 characters"):
        check_name("x" * 33, "traffic descriptor")


@pytest.mark.parametrize("name", ["has blank", "tilde~1", "{brace", "#comment"])
def test_a_name_with_characters_policy_agent_cannot_hold_is_refused(name):
    with pytest.raises(NcaError, match="may hold only"):
        check_name(name, "security level")


def test_a_job_name_is_upper_cased_and_at_most_8_characters():
    assert check_job("user1get", "job name", "--jobname") == "USER1GET"
    with pytest.raises(NcaError, match="not a job name"):
        check_job("USER1GETX", "job name", "--jobname")


@pytest.mark.parametrize("text", ["10.1.1.1", "10.0.0.0/8", "10.0.0.1-10.0.0.9", "2001:db8::/32"])
def test_an_address_group_entry_may_be_an_address_subnet_or_range(text):
    assert check_address(text, "--address") == text


@pytest.mark.parametrize("text", ["10.0.0.9-10.0.0.1", "10.0.0.1-::1", "10.0.0.256", "host"])
def test_a_bad_address_group_entry_is_refused(text):
    with pytest.raises(NcaError):
        check_address(text, "--address")
