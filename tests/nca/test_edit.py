"""Store changes: references must exist, used and supplied objects stay, Incomplete."""

from __future__ import annotations

from dataclasses import replace

import pytest

from pagent.nca import edit, status
from pagent.nca.model import (
    ConnectivityRule,
    Image,
    MapRow,
    NcaError,
    RequirementMap,
    SecurityLevel,
    Stack,
    Store,
)
from tests.nca.conftest import workshop_store


def test_the_supplied_objects_are_there_in_an_empty_store():
    s = Store("USER1")
    assert edit.group(s, "All_IPv4_Addresses") is not None
    assert edit.level(s, "AT-TLS__Gold") is not None
    assert edit.requirement_map(s, "AT-TLS_Sample") is not None


def test_a_supplied_object_cannot_be_changed_or_deleted():
    s = Store("USER1")
    with pytest.raises(NcaError, match="IBM-supplied"):
        edit.put(s, "level", SecurityLevel("AT-TLS__Gold"), modify=True)
    with pytest.raises(NcaError, match="IBM-supplied"):
        edit.delete(s, "group", "All_IPv4_Addresses")


def test_a_map_naming_a_missing_descriptor_is_refused():
    s = workshop_store()
    with pytest.raises(NcaError) as err:
        edit.put(s, "map", RequirementMap("M", (MapRow("nope", "zCEESecurity"),)))
    assert err.value.argument == "--descriptor"


def test_a_rule_naming_a_missing_map_is_refused():
    s = workshop_store()
    with pytest.raises(NcaError) as err:
        edit.put_rule(s, "WG31", "TCPIP1", ConnectivityRule("R", "nomap"))
    assert err.value.argument == "--map"


def test_an_object_in_use_cannot_be_deleted():
    s = workshop_store()
    with pytest.raises(NcaError, match="in use by requirement map zCEERequirementMap"):
        edit.delete(s, "descriptor", "zCEEClient")
    with pytest.raises(NcaError, match="in use by connectivity rule zCEEClientRule"):
        edit.delete(s, "map", "zCEERequirementMap")


def test_a_duplicate_name_is_refused():
    s = workshop_store()
    with pytest.raises(NcaError, match="exists already"):
        edit.put(s, "level", SecurityLevel("zCEESecurity"))


def test_a_new_image_is_incomplete_until_its_stack_has_a_rule():
    s = edit.put_image(Store("USER1"), Image("WG31", keyring="Liberty.KeyRing"))
    image = s.image("WG31")
    assert image is not None
    assert status.image_problems(s, image) == ["image WG31 has no TCP/IP stack"]
    s = edit.put_stack(s, "WG31", Stack("TCPIP1"))
    image = s.image("WG31")
    assert image is not None
    assert status.status(status.image_problems(s, image)) == "Incomplete"
    assert status.image_problems(s, image) == ["stack TCPIP1 has no connectivity rules"]
    done = workshop_store()
    image = done.image("WG31")
    assert image is not None
    assert status.status(status.image_problems(done, image)) == "Complete"


def test_tls13_on_a_v2r3_image_is_reported_incomplete():
    s = workshop_store()
    s = edit.put(s, "level", SecurityLevel("zCEESecurity", ("TLSv1.3",)), modify=True)
    image, stack = edit.stack_of(s, "WG31", "TCPIP1")
    (problem,) = status.stack_problems(s, image, stack)
    assert "available beginning with z/OS V2R4" in problem


def test_no_key_ring_anywhere_is_reported_incomplete():
    s = workshop_store()
    image = s.image("WG31")
    assert image is not None
    s = edit.put_image(s, replace(image, keyring=None), modify=True)
    image, stack = edit.stack_of(s, "WG31", "TCPIP1")
    assert "has none" in status.stack_problems(s, image, stack)[0]
