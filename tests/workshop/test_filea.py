"""The FILEA records: the workshop's table, complete and as printed."""

from __future__ import annotations

import re

from pagent.workshop.filea import BY_NUMB, RECORDS, FileaRecord, lookup


def test_all_43_records_with_unique_keys() -> None:
    assert len(RECORDS) == 43
    assert len(BY_NUMB) == 43


def test_the_workshop_record_111111() -> None:
    assert lookup("111111") == FileaRecord(
        "111111", "C. BAKER", "OTTAWA, ONTARIO", "51212003", "26 11 81", "$0011.00"
    )


def test_first_and_last_rows_in_the_workshop_order() -> None:
    assert RECORDS[0] == FileaRecord(
        "000100", "S. D. BORMAN", "SURREY, ENGLAND", "32156778", "26 11 81", "$0100.11"
    )
    assert RECORDS[-1] == FileaRecord(
        "999999", "ANJI STEVENS", "RALEIGH, N.Y.", "84591639", "26 11 81", "$0049.00"
    )


def test_key_44444_is_kept_as_printed() -> None:
    record = lookup("44444")
    assert record is not None
    assert record.name == "D. JACOBS"
    assert lookup("044444") is None
    assert lookup("444444") is None


def test_field_formats() -> None:
    for record in RECORDS:
        assert re.fullmatch(r"\d{5,6}", record.numb), record
        assert re.fullmatch(r"\d{8}", record.phone), record
        assert re.fullmatch(r"\d\d \d\d \d\d", record.datex), record
        assert re.fullmatch(r"\$\d{4}\.\d\d", record.amount), record
        assert record.name == record.name.strip()
        assert record.addrx == record.addrx.strip()
    assert sum(len(record.numb) == 5 for record in RECORDS) == 1


def test_missing_key() -> None:
    assert lookup("000000") is None
    assert lookup("") is None
