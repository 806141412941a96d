"""The CICS sample file FILEA, as the workshop lists its records.

The workshop's CICS program (the target of the API ``cscvincapi_1.0.0``) reads FILEA by
its key ``NUMB``. The 43 records below are copied from the workshop's table of "available
records", in its order and with its spelling. One key is kept exactly as printed even
though it looks like a typing slip: ``44444`` (five digits, D. JACOBS) — so ``44444``
finds that record and ``044444`` / ``444444`` do not.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileaRecord:
    """One FILEA record: the fields the workshop's table shows (STAT and COMMENT are empty)."""

    numb: str
    name: str
    addrx: str
    phone: str
    datex: str
    amount: str


RECORDS: tuple[FileaRecord, ...] = (
    FileaRecord("000100", "S. D. BORMAN", "SURREY, ENGLAND", "32156778", "26 11 81", "$0100.11"),
    FileaRecord(
        "000102", "J. T. CZAYKOWSI", "WARWICK, ENGLAND", "98356183", "26 11 81", "$1111.11"
    ),
    FileaRecord("000104", "M. B. DOMBEY", "LONDON, ENGLAND", "12846293", "26 11 81", "$0999.99"),
    FileaRecord("000106", "A. I. HICKSON", "CROYDON, ENGLAND", "19485673", "26 11 81", "$0087.71"),
    FileaRecord("000111", "ALAN TULIP", "SARATOGA, CALIFORNIA", "46120753", "01 02 74", "$0111.11"),
    FileaRecord(
        "000762", "SUSAN MALAIKA", "SAN JOSE, CALIFORNIA", "22312121", "01 06 74", "$0000.00"
    ),
    FileaRecord("000983", "J. S. TILLING", "WASHINGTON, DC", "34512120", "21 04 75", "$9999.99"),
    FileaRecord("001222", "D.J.VOWLES", "BOBLINGEN, GERMANY", "70315551", "10 04 73", "$3349.99"),
    FileaRecord(
        "001781", "TINA J YOUNG", "SINDELFINGEN, GERMANY", "70319990", "21 06 77", "$0009.99"
    ),
    FileaRecord("003210", "B.A. WALKER", "NICE, FRANCE", "12345670", "26 11 81", "$3349.99"),
    FileaRecord("003214", "PHIL CONWAY", "SUNNYVALE, CAL.", "34112120", "00 06 73", "$0009.99"),
    FileaRecord("003890", "BRIAN HARDER", "NICE FRANCE", "00000000", "28 05 74", "$0009.99"),
    FileaRecord("004004", "JANET FOUCHE", "DUBLIN, IRELAND", "71112121", "02 11 73", "$1259.99"),
    FileaRecord(
        "004445", "DR. P. JOHNSON", "SOUTH BEND, S.DAK.", "61212120", "26 11 81", "$0009.99"
    ),
    FileaRecord("004878", "ADRIAN JONES", "SUNNYVALE, CALIF.", "32212120", "10 06 73", "$5399.99"),
    FileaRecord("005005", "A. E. DALTON", "SAN FRANCISCO, CA.", "00000001", "01 08 73", "$0009.99"),
    FileaRecord("005444", "ROS READER", "SARATOGA, CALIF.", "67712120", "20 10 74", "$0809.99"),
    FileaRecord("005581", "PETE ROBBINS", "BOSTON, MASS.", "41312120", "11 04 74", "$0259.99"),
    FileaRecord(
        "006016", "SIR MICHAEL ROBERTS", "NEW DELHI, INDIA", "70331211", "21 05 74", "$0009.88"
    ),
    FileaRecord("006670", "IAN HALL", "NEW YORK, N.Y.", "21212120", "31 01 75", "$3509.88"),
    FileaRecord(
        "006968", "J.A.L. STAINFORTH", "WARWICK, ENGLAND", "56713821", "26 11 81", "$0009.88"
    ),
    FileaRecord(
        "007007", "ANDREW WHARMBY", "STUTTGART, GERMANY", "70311000", "10 10 75", "$5009.88"
    ),
    FileaRecord("007248", "M. J. AYRES", "REDWOOD CITY, CALF.", "33312121", "11 10 75", "$0009.88"),
    FileaRecord(
        "007779", "MRS. A. STEWART", "SAN JOSE, CALIF.", "41512120", "03 01 75", "$0009.88"
    ),
    FileaRecord(
        "009000", "P. E. HAVERCAN", "WATERLOO, ONTARIO", "09876543", "21 01 75", "$9000.00"
    ),
    FileaRecord("100000", "M. ADAMS", "TORONTO, ONTARIO", "03415121", "26 11 81", "$0010.00"),
    FileaRecord("111111", "C. BAKER", "OTTAWA, ONTARIO", "51212003", "26 11 81", "$0011.00"),
    FileaRecord("200000", "S. P. RUSSELL", "GLASGOW, SCOTLAND", "63738290", "26 11 81", "$0020.00"),
    FileaRecord(
        "222222", "DR E. GRIFFITHS", "FRANKFURT, GERMANY", "20034151", "26 11 81", "$0022.00"
    ),
    FileaRecord("300000", "V. J. HARRIS", "NEW YORK, U.S.", "64739801", "26 11 81", "$0030.00"),
    FileaRecord("333333", "J.D. HENRY", "CARDIFF, WALES", "78493020", "26 11 81", "$0033.00"),
    FileaRecord("400000", "C. HUNT", "MILAN, ITALY", "25363738", "26 11 81", "$0040.00"),
    FileaRecord("44444", "D. JACOBS", "CALGARY, ALBERTA", "77889820", "26 11 81", "$0044.00"),
    FileaRecord("500000", "P. KINGSLEY", "MADRID, SPAIN", "44454640", "26 11 81", "$0000.00"),
    FileaRecord("555555", "S.J. LAZENBY", "KINGSTON, N.Y.", "39944420", "26 11 81", "$0005.00"),
    FileaRecord("600000", "M.F. MASON", "DUBLIN, IRELAND", "12398780", "26 11 81", "$0010.00"),
    FileaRecord("666666", "R. F. WALLER", "LA HULPE, BRUSSELS", "42983840", "26 11 81", "$0016.00"),
    FileaRecord("700000", "M. BRANDON", "DALLAS, TEXAS", "57984320", "26 11 81", "$0002.00"),
    FileaRecord("777777", "L.A. FARMER", "WILLIAMSBURG, VIRG.", "91876131", "26 11 81", "$0027.00"),
    FileaRecord("800000", "P. LUPTON", "WESTEND, LONDON", "24233389", "26 11 81", "$0030.00"),
    FileaRecord("888888", "P. MUNDY", "NORTHAMPTON, ENG.", "23691639", "26 11 81", "$0038.00"),
    FileaRecord("900000", "D.S. RENSHAW", "TAMPA, FLA.", "35668120", "26 11 81", "$0040.00"),
    FileaRecord("999999", "ANJI STEVENS", "RALEIGH, N.Y.", "84591639", "26 11 81", "$0049.00"),
)
"""All the records, in the workshop's order."""

BY_NUMB: dict[str, FileaRecord] = {record.numb: record for record in RECORDS}
"""The records by key, as EXEC CICS READ FILE('FILEA') RIDFLD(NUMB) finds them."""


def lookup(numb: str) -> FileaRecord | None:
    """The record whose key is exactly ``numb``, or None (CICS NOTFND: RESP 13, RESP2 80)."""
    return BY_NUMB.get(numb)
