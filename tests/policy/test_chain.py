"""The configuration chain: pagent.conf -> image files -> AT-TLS policy files (pagent-ops §1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pagent.policy.chain import (
    DEFAULT_IMAGE_NAME,
    Chain,
    ImageConfig,
    dataset_path,
    default_root,
    load_chain,
    looks_like_main_config,
    resolve_zos_path,
)
from pagent.policy.source import read_source
from tests.conftest import DATA

PDS = Path("etc/datasets/USER.Z24C.TCPPARMS")


def put(root: Path, rel: str | Path, text: str | bytes) -> Path:
    """Write a file under the test root, creating its directories."""
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def chain_of(root: Path, main: str, **files: str) -> Chain:
    """Load a chain whose main file is ROOT/etc/pagent.conf; ``files``: name under etc/."""
    for name, text in files.items():
        put(root, f"etc/{name}", text)
    return load_chain(put(root, "etc/pagent.conf", main), root)


def codes(chain: Chain) -> list[str]:
    return [d.code.id for d in chain.diagnostics]


def only_image(chain: Chain) -> ImageConfig:
    assert chain.main is not None
    assert len(chain.main.images) == 1
    return chain.main.images[0]


# --- Path mapping ------------------------------------------------------------------------
def test_absolute_unix_path_resolves_under_root(tmp_path):
    assert resolve_zos_path("/etc/pagent.TCPIP.conf", tmp_path) == (
        tmp_path / "etc" / "pagent.TCPIP.conf"
    )


def test_quoted_member_resolves_to_datasets_dir_upper_cased(tmp_path):
    assert resolve_zos_path("//'user.z24c.tcpparms(pagentt)'", tmp_path) == (
        tmp_path / "etc" / "datasets" / "USER.Z24C.TCPPARMS" / "PAGENTT"
    )


def test_sequential_data_set_resolves_to_one_file(tmp_path):
    assert resolve_zos_path("//'HLQ.NAME'", tmp_path) == tmp_path / "etc/datasets/HLQ.NAME"


def test_unquoted_data_set_is_accepted(tmp_path):
    assert resolve_zos_path("//hlq.x(m)", tmp_path) == tmp_path / "etc/datasets/HLQ.X/M"


def test_relative_unix_path_is_relative_to_root(tmp_path):
    assert resolve_zos_path("conf/ttls.policy", tmp_path) == tmp_path / "conf/ttls.policy"


def test_dot_dot_cannot_leave_root(tmp_path):
    assert resolve_zos_path("/../../etc/x", tmp_path) == tmp_path / "etc/x"


def test_unix_path_keeps_its_case(tmp_path):
    assert resolve_zos_path("/etc/Mixed.Conf", tmp_path) == tmp_path / "etc/Mixed.Conf"


def test_dataset_path_takes_an_obey_style_name(tmp_path):
    assert (
        dataset_path("sys1.tcpparms(ttls)", tmp_path)
        == tmp_path / "etc/datasets/SYS1.TCPPARMS/TTLS"
    )
    assert dataset_path("'SYS1.TCPPARMS(TTLS)'", tmp_path) == (
        tmp_path / "etc/datasets/SYS1.TCPPARMS/TTLS"
    )


@pytest.mark.parametrize(
    "dsn",
    [
        "",
        "A..B",
        "1ABC.X",
        "ABCDEFGHI.X",
        "A.B(123)",
        "A.B(MEMBER123)",
        "../X",
        "A/B",
        "A.B(M",
        "X." * 22 + "X",
    ],
)
def test_dataset_path_rejects_malformed_names(tmp_path, dsn):
    with pytest.raises(ValueError, match="data set name"):
        dataset_path(dsn, tmp_path)


def test_empty_zos_path_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="empty"):
        resolve_zos_path("  ", tmp_path)


def test_default_root_is_cwd_when_it_holds_etc_pagent_conf(tmp_path):
    assert default_root(tmp_path) is None
    put(tmp_path, "etc/pagent.conf", "LogLevel 31\n")
    assert default_root(tmp_path) == tmp_path


# --- An own chain: data sets, an absolute path, trailing blanks (tests/data/roots/lab) --------
LAB = DATA / "roots" / "lab"
LAB_PDS = LAB / "etc" / "datasets" / "LAB.TCPPARMS"


def test_lab_main_file_has_the_artefacts_the_tests_rely_on():
    text = (LAB / "etc" / "pagent.conf").read_text()
    assert "tcpimage TCPLAB1" in text
    assert all(line.endswith(" ") for line in text.splitlines())
    assert (LAB_PDS / "COMMON").stat().st_size == 0


def test_lab_chain_loads_without_diagnostics():
    chain = load_chain(LAB / "etc" / "pagent.conf", LAB)
    assert chain.diagnostics == ()


def test_lab_lower_case_tcpimage_names_the_image_file_at_an_absolute_path():
    image = only_image(load_chain(LAB / "etc" / "pagent.conf", LAB))
    assert image.image.name == "TCPLAB1"
    assert image.image.image_file == "/etc/pagent/TCPLAB1.conf"
    assert image.image_path == LAB / "etc" / "pagent" / "TCPLAB1.conf"


def test_lab_policy_files_are_the_common_data_set_first_then_the_image_data_set():
    image = only_image(load_chain(LAB / "etc" / "pagent.conf", LAB))
    assert [(p.path, p.common) for p in image.policy_files] == [
        (LAB_PDS / "COMMON", True),
        (LAB_PDS / "TTLS", False),
    ]
    assert image.policy_files[1].zos_path == "//'LAB.TCPPARMS(TTLS)'"


def test_lab_ttlsconfig_flush_purge_are_used():
    image = only_image(load_chain(LAB / "etc" / "pagent.conf", LAB))
    assert image.ttls is not None
    assert (image.ttls.flush, image.ttls.purge) == (True, True)


def test_lab_policy_file_is_located_at_its_operand():
    image = only_image(load_chain(LAB / "etc" / "pagent.conf", LAB))
    named = image.policy_files[1].named_at
    assert (Path(named.path).name, named.line, named.col) == ("TCPLAB1.conf", 1, 12)


def test_lab_files_lists_the_whole_chain():
    chain = load_chain(LAB / "etc" / "pagent.conf", LAB)
    assert [p.name for p in chain.files] == ["pagent.conf", "COMMON", "TCPLAB1.conf", "TTLS"]


def test_lab_main_file_looks_like_main_config():
    assert looks_like_main_config((LAB / "etc" / "pagent.conf").read_text())
    assert not looks_like_main_config((LAB_PDS / "TTLS").read_text())


def test_lab_chain_against_another_root_names_where_it_looked(tmp_path):
    """Resolved against the wrong root, every file is C501 with the path looked at."""
    chain = load_chain(LAB / "etc" / "pagent.conf", tmp_path)
    assert [d.code.id for d in chain.diagnostics] == ["C501", "C501"]
    assert str(tmp_path / "etc" / "datasets" / "LAB.TCPPARMS" / "COMMON") in (
        chain.diagnostics[0].message
    )


# --- The corpus chain (colinpaicemq/ADCD, MVS data sets, trailing blanks) -----------------
@pytest.fixture(name="adcd")
def fixture_adcd(tmp_path: Path, corpus: Path) -> Path:
    """ROOT with the ADCD members PAGENTCF, PAGENTT, PAGENTCO and PAGENTTN (v2)."""
    for member, name in [
        ("PAGENTCF", "colinpaicemq-ADCD-PAGENTCF-main.conf"),
        ("PAGENTT", "colinpaicemq-ADCD-PAGENTT-image.conf"),
        ("PAGENTCO", "colinpaicemq-ADCD-PAGENTCO-common-empty.policy"),
        ("PAGENTTN", "colinpaicemq-ADCD-PAGENTTN-v2.policy"),
    ]:
        put(tmp_path, PDS / member, (corpus / name).read_bytes())
    return tmp_path


def test_corpus_main_file_has_the_artefacts_the_tests_rely_on(adcd):
    text = (adcd / PDS / "PAGENTCF").read_text()
    assert "tcpImage TCPIP" in text
    assert all(line.endswith(" ") for line in text.splitlines())


def test_corpus_chain_loads_without_diagnostics(adcd):
    chain = load_chain(adcd / PDS / "PAGENTCF", adcd)
    assert chain.diagnostics == ()


def test_corpus_lower_case_tcpimage_names_the_image_data_set(adcd):
    image = only_image(load_chain(adcd / PDS / "PAGENTCF", adcd))
    assert image.image.name == "TCPIP"
    assert image.image.image_file == "//'USER.Z24C.TCPPARMS(PAGENTT)'"
    assert image.image_path == adcd / PDS / "PAGENTT"


def test_corpus_policy_files_are_common_first_then_image_file(adcd):
    image = only_image(load_chain(adcd / PDS / "PAGENTCF", adcd))
    assert [(p.path.name, p.common) for p in image.policy_files] == [
        ("PAGENTCO", True),
        ("PAGENTTN", False),
    ]
    assert image.policy_files[1].zos_path == "//'USER.Z24C.TCPPARMS(PAGENTTN)'"


def test_corpus_ttlsconfig_flush_purge_are_used(adcd):
    image = only_image(load_chain(adcd / PDS / "PAGENTCF", adcd))
    assert image.ttls is not None
    assert (image.ttls.flush, image.ttls.purge) == (True, True)
    assert image.image.purge is False  # TcpImage codes neither: NOPURGE default


def test_corpus_policy_file_is_located_at_its_operand(adcd):
    image = only_image(load_chain(adcd / PDS / "PAGENTCF", adcd))
    named = image.policy_files[1].named_at
    assert (Path(named.path).name, named.line, named.col) == ("PAGENTT", 1, 12)


def test_corpus_files_lists_the_whole_chain(adcd):
    chain = load_chain(adcd / PDS / "PAGENTCF", adcd)
    assert [p.name for p in chain.files] == ["PAGENTCF", "PAGENTCO", "PAGENTT", "PAGENTTN"]


def test_corpus_main_file_looks_like_main_config(adcd):
    assert looks_like_main_config((adcd / PDS / "PAGENTCF").read_text())


def test_corpus_policy_file_does_not_look_like_main_config(adcd):
    assert not looks_like_main_config((adcd / PDS / "PAGENTTN").read_text())


# --- TcpImage --------------------------------------------------------------------------
def test_tcpimage_defaults_flush_nopurge_1800(tmp_path):
    image = only_image(chain_of(tmp_path, "TcpImage TCPIP\n")).image
    assert (image.flush, image.purge, image.interval) == (True, False, 1800)


def test_tcpimage_operands_are_read(tmp_path):
    chain = chain_of(
        tmp_path,
        "TcpImage TCPIP1 /etc/i.conf NOFLUSH PURGE 900\n",
        **{"i.conf": "TTLSConfig /etc/t\n", "t": ""},
    )
    image = only_image(chain).image
    assert (image.name, image.image_file, image.flush, image.purge, image.interval) == (
        "TCPIP1",
        "/etc/i.conf",
        False,
        True,
        900,
    )


def test_tcpimage_interval_without_image_file(tmp_path):
    image = only_image(chain_of(tmp_path, "TcpImage TCPIP FLUSH 600\n"))
    assert (image.image.image_file, image.image.interval) == (None, 600)


def test_pepinstance_is_a_synonym_of_tcpimage(tmp_path):
    assert only_image(chain_of(tmp_path, "PEPInstance TCPIP2\n")).image.name == "TCPIP2"


def test_interval_above_maximum_gives_c506_and_the_default(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP FLUSH 2147483648\n")
    assert codes(chain) == ["C506"]
    assert only_image(chain).image.interval == 1800


def test_interval_zero_gives_c506(tmp_path):
    assert codes(chain_of(tmp_path, "TcpImage TCPIP 0\n")) == ["C506"]


def test_interval_maximum_is_accepted(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP 2147483647\n")
    assert only_image(chain).image.interval == 2147483647


def test_bad_tcpimage_operand_gives_c506_at_its_column(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP FLUSH BOGUS\n")
    [d] = chain.diagnostics
    assert (d.code.id, d.loc.line, d.loc.col) == ("C506", 1, 22)
    assert "BOGUS" in d.message


def test_contradicting_flags_give_c506_and_the_first_is_kept(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP NOFLUSH FLUSH\n")
    assert codes(chain) == ["C506"]
    assert only_image(chain).image.flush is False


def test_tcpimage_without_name_gives_c506(tmp_path):
    chain = chain_of(tmp_path, "TcpImage\n")
    assert codes(chain) == ["C506"]
    assert only_image(chain).image.name == DEFAULT_IMAGE_NAME


def test_repeated_tcpimage_of_one_stack_gives_c507_and_last_wins(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP 600\ntcpimage tcpip 900\n")
    assert codes(chain) == ["C507"]
    assert only_image(chain).image.interval == 900


def test_several_images_keep_their_order(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIPA\nTcpImage TCPIPB 60\n")
    assert chain.main is not None
    assert [i.image.name for i in chain.main.images] == ["TCPIPA", "TCPIPB"]
    assert chain.main.refresh_interval == 60


def test_bad_data_set_name_as_image_file_gives_c506(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP //'BAD..NAME'\nTTLSConfig /etc/t\n", t="")
    assert codes(chain) == ["C506", "C503"]
    image = only_image(chain)
    assert (image.image_path, image.ttls) == (None, None)


# --- Main-file statements ----------------------------------------------------------------
def test_loglevel_defaults_to_31(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP\n")
    assert chain.main is not None
    assert (chain.main.log_level, chain.main.log_level_loc) == (31, None)


def test_loglevel_is_read(tmp_path):
    chain = chain_of(tmp_path, "LogLevel 511\n")
    assert chain.main is not None
    assert chain.main.log_level == 511


@pytest.mark.parametrize("value", ["abc", "-1", "4294967296", "", "\u00b2"])
def test_bad_loglevel_gives_c506_and_the_default(tmp_path, value):
    chain = chain_of(tmp_path, f"LogLevel {value}\n")
    assert codes(chain) == ["C506"]
    assert chain.main is not None
    assert chain.main.log_level == 31


def test_repeated_loglevel_gives_c507_and_last_wins(tmp_path):
    chain = chain_of(tmp_path, "LogLevel 15\nLogLevel 127\n")
    [d] = chain.diagnostics
    assert (d.code.id, d.loc.line, d.related[0][0].line) == ("C507", 2, 1)
    assert chain.main is not None
    assert chain.main.log_level == 127


def test_codepage_is_read_upper_cased(tmp_path):
    chain = chain_of(tmp_path, "Codepage ibm-037\n")
    assert chain.main is not None
    assert chain.main.codepage == "IBM-037"


def test_codepage_defaults_to_ibm_1047(tmp_path):
    chain = chain_of(tmp_path, "LogLevel 31\n")
    assert chain.main is not None
    assert chain.main.codepage == "IBM-1047"


def test_known_statements_are_ignored_silently(tmp_path):
    text = "".join(
        f"{kw} x\n"
        for kw in ["QoSConfig", "IDSConfig", "IPSecConfig", "RoutingConfig", "ZERTConfig",
                   "PolicyServer", "ServerConnection", "ClientConnection", "ServicesConnection",
                   "DynamicConfigPolicyLoad", "AutoMonitorApps"]
    )  # fmt: skip
    assert codes(chain_of(tmp_path, "TcpImage TCPIP\n" + text)) == []


def test_unknown_statement_gives_c502(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP\nServiceType x\n")
    [d] = chain.diagnostics
    assert (d.code.id, d.loc.line, d.loc.col) == ("C502", 2, 1)
    assert "ServiceType" in d.message


def test_block_of_an_ignored_statement_is_skipped(tmp_path):
    main = (
        "ReadFromDirectory\n{\n  LDAP_Server 9.37.65.139\n  LDAP_Port 389\n}\nTcpImage TCPIP 60\n"
    )
    chain = chain_of(tmp_path, main)
    assert codes(chain) == []
    assert only_image(chain).image.interval == 60


def test_stray_closing_brace_gives_c502(tmp_path):
    assert codes(chain_of(tmp_path, "TcpImage TCPIP\n}\n")) == ["C502"]


def test_unclosed_block_gives_c502(tmp_path):
    assert codes(chain_of(tmp_path, "TcpImage TCPIP\nReadFromDirectory {\n")) == ["C502"]


def test_comments_and_trailing_comments_are_ignored(tmp_path):
    chain = chain_of(tmp_path, "# main\n  LogLevel 127   # all errors\n#TcpImage X\n")
    assert codes(chain) == []
    assert chain.main is not None
    assert chain.main.log_level == 127


def test_hash_inside_a_path_is_kept(tmp_path):
    chain = chain_of(tmp_path, "TTLSConfig /etc/a#b\n", **{"a#b": ""})
    assert codes(chain) == []
    assert only_image(chain).policy_files[0].path == tmp_path / "etc/a#b"


def test_crlf_and_bom_main_file_is_read(tmp_path):
    main = put(tmp_path, "etc/pagent.conf", "\ufeffLogLevel 63\r\nTcpImage TCPIP\r\n".encode())
    chain = load_chain(main, tmp_path)
    assert codes(chain) == []
    assert chain.main is not None
    assert chain.main.log_level == 63


def test_unreadable_main_file_raises_oserror(tmp_path):
    with pytest.raises(OSError, match="not found"):
        load_chain(tmp_path / "etc/pagent.conf", tmp_path)


# --- TTLSConfig and where it is honoured -------------------------------------------------
def test_tcpimage_without_image_file_uses_main_file_ttlsconfig(tmp_path):
    image = only_image(
        chain_of(
            tmp_path, "TcpImage TCPIP FLUSH PURGE\nTTLSConfig /etc/t.policy\n", **{"t.policy": ""}
        )
    )
    assert image.image_path is None
    assert [p.path for p in image.policy_files] == [tmp_path / "etc/t.policy"]


def test_ttlsconfig_before_tcpimage_in_main_file_applies(tmp_path):
    image = only_image(chain_of(tmp_path, "TTLSConfig /etc/t\nTcpImage TCPIP\n", t=""))
    assert image.ttls is not None
    assert image.ttls.path == "/etc/t"


def test_no_tcpimage_gives_default_image_with_main_file_ttlsconfig(tmp_path):
    chain = chain_of(tmp_path, "TTLSConfig /etc/pagent.ttls.conf\n", **{"pagent.ttls.conf": ""})
    image = only_image(chain)
    assert codes(chain) == []
    assert (image.image.name, image.image.image_file, image.image.loc.line) == ("TCPIP", None, 1)
    assert image.ttls is not None
    assert image.ttls.path == "/etc/pagent.ttls.conf"


def test_ttlsconfig_inherits_flush_purge_from_tcpimage(tmp_path):
    chain = chain_of(
        tmp_path, "TcpImage TCPIP /etc/i NOFLUSH PURGE\n", i="TTLSConfig /etc/t\n", t=""
    )
    ttls = only_image(chain).ttls
    assert ttls is not None
    assert (ttls.flush, ttls.purge) == (False, True)


def test_ttlsconfig_flags_override_tcpimage(tmp_path):
    chain = chain_of(
        tmp_path, "TcpImage TCPIP /etc/i NOFLUSH PURGE\n", i="TTLSConfig /etc/t FLUSH\n", t=""
    )
    ttls = only_image(chain).ttls
    assert ttls is not None
    assert (ttls.flush, ttls.purge) == (True, True)


def test_inheritance_is_per_image_for_a_shared_main_file_ttlsconfig(tmp_path):
    chain = chain_of(tmp_path, "TcpImage A NOPURGE\nTcpImage B PURGE\nTTLSConfig /etc/t\n", t="")
    assert chain.main is not None
    assert [i.ttls.purge for i in chain.main.images if i.ttls] == [False, True]


def test_ttlsconfig_interval_operand_gives_c506(tmp_path):
    assert codes(chain_of(tmp_path, "TTLSConfig /etc/t FLUSH 900\n", t="")) == ["C506"]


def test_ttlsconfig_with_bad_data_set_name_gives_c506_and_is_ignored(tmp_path):
    chain = chain_of(tmp_path, "TTLSConfig //'A..B'\n")
    assert codes(chain) == ["C506"]
    assert only_image(chain).ttls is None


def test_main_file_ttlsconfig_is_ignored_when_every_image_has_a_file(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP /etc/i\nTTLSConfig /etc/x\n", i="QoSConfig /etc/q\n")
    assert codes(chain) == ["C503"]
    assert only_image(chain).ttls is None


def test_tcpimage_naming_the_main_file_makes_it_the_image_file(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP /etc/pagent.conf\nTTLSConfig /etc/t\n", t="")
    image = only_image(chain)
    assert codes(chain) == []
    assert image.image_path == tmp_path / "etc/pagent.conf"
    assert image.ttls is not None


def test_repeated_ttlsconfig_in_image_file_gives_c507_and_last_wins(tmp_path):
    chain = chain_of(
        tmp_path, "TcpImage TCPIP /etc/i\n", i="TTLSConfig /etc/a\nTTLSConfig /etc/b\n", a="", b=""
    )
    [d] = chain.diagnostics
    assert (d.code.id, Path(d.loc.path).name, d.loc.line) == ("C507", "i", 2)
    assert [p.path.name for p in only_image(chain).policy_files] == ["b"]


def test_repeated_ttlsconfig_in_main_image_file_gives_c507(tmp_path):
    chain = chain_of(tmp_path, "TTLSConfig /etc/a\nTTLSConfig /etc/b\n", a="", b="")
    assert codes(chain) == ["C507"]
    assert [p.path.name for p in only_image(chain).policy_files] == ["b"]


def test_ttlsconfig_without_path_gives_only_the_common_file(tmp_path):
    chain = chain_of(
        tmp_path, "CommonTTLSConfig /etc/c\nTcpImage TCPIP /etc/i\n", i="TTLSConfig FLUSH\n", c=""
    )
    image = only_image(chain)
    assert codes(chain) == []
    assert image.ttls is not None
    assert image.ttls.path is None
    assert [(p.path.name, p.common) for p in image.policy_files] == [("c", True)]


def test_main_only_statement_in_image_file_gives_c503(tmp_path):
    chain = chain_of(
        tmp_path,
        "TcpImage TCPIP /etc/i\n",
        i="TTLSConfig /etc/t\nCommonTTLSConfig /etc/c\nLogLevel 511\n",
        t="",
    )
    assert codes(chain) == ["C503", "C503"]
    assert chain.main is not None
    assert (chain.main.common, chain.main.log_level) == (None, 31)


def test_unknown_statement_in_image_file_gives_c502(tmp_path):
    chain = chain_of(tmp_path, "TcpImage TCPIP /etc/i\n", i="TTLSConfig /etc/t\nFoo bar\n", t="")
    [d] = chain.diagnostics
    assert (d.code.id, Path(d.loc.path).name, d.loc.line) == ("C502", "i", 2)


def test_image_file_holding_a_policy_gives_one_c504(tmp_path):
    policy = "TTLSRule r\n{\n  LocalPortRange 23\n}\nTTLSGroupAction g\n{\n  TTLSEnabled On\n}\n"
    chain = chain_of(tmp_path, "TcpImage TCPIP /etc/p\n", p=policy)
    [d] = chain.diagnostics
    assert (d.code.id, Path(d.loc.path).name, d.related[0][0].line) == ("C504", "p", 1)
    assert only_image(chain).ttls is None


def test_empty_image_file_gives_c504(tmp_path):
    assert codes(chain_of(tmp_path, "TcpImage TCPIP /etc/i\n", i="# nothing\n")) == ["C504"]


def test_main_file_holding_a_policy_gives_c504(tmp_path):
    assert codes(chain_of(tmp_path, "TTLSRule r\n{\n}\n")) == ["C504"]


def test_image_file_shared_by_two_images_is_reported_once(tmp_path):
    chain = chain_of(
        tmp_path, "TcpImage A /etc/i\nTcpImage B /etc/i\n", i="TTLSConfig /etc/t\nFoo\n"
    )
    assert codes(chain) == ["C502", "C501"]
    assert chain.main is not None
    assert all(i.ttls is not None for i in chain.main.images)


# --- CommonTTLSConfig --------------------------------------------------------------------
def test_common_file_comes_before_image_file(tmp_path):
    chain = chain_of(
        tmp_path,
        "CommonTTLSConfig /etc/c\nTcpImage TCPIP /etc/i\n",
        i="TTLSConfig /etc/t\n",
        c="",
        t="",
    )
    assert [p.path.name for p in only_image(chain).policy_files] == ["c", "t"]
    assert chain.main is not None
    assert chain.main.common == only_image(chain).policy_files[0]


def test_common_file_serves_every_image(tmp_path):
    chain = chain_of(
        tmp_path, "CommonTTLSConfig /etc/c\nTcpImage A\nTcpImage B\nTTLSConfig\n", c=""
    )
    assert chain.main is not None
    assert [[p.path.name for p in i.policy_files] for i in chain.main.images] == [["c"], ["c"]]


def test_common_without_ttlsconfig_gives_c505(tmp_path):
    chain = chain_of(
        tmp_path, "CommonTTLSConfig /etc/c\nTcpImage TCPIP /etc/i\n", i="QoSConfig /etc/q\n", c=""
    )
    [d] = chain.diagnostics
    assert (d.code.id, d.loc.line, d.related[0][0].line) == ("C505", 1, 2)
    assert "TCPIP" in d.message
    assert only_image(chain).policy_files == ()


def test_common_without_ttlsconfig_and_no_tcpimage_gives_c505(tmp_path):
    chain = chain_of(tmp_path, "CommonTTLSConfig /etc/c\n", c="")
    [d] = chain.diagnostics
    assert (d.code.id, d.related) == ("C505", ())
    assert DEFAULT_IMAGE_NAME in d.message


def test_repeated_common_gives_c507_and_last_wins(tmp_path):
    chain = chain_of(
        tmp_path, "CommonTTLSConfig /etc/a\nCommonTTLSConfig /etc/b\nTTLSConfig\n", a="", b=""
    )
    assert codes(chain) == ["C507"]
    assert chain.main is not None
    assert chain.main.common is not None
    assert chain.main.common.path.name == "b"


def test_common_without_path_gives_c506(tmp_path):
    assert codes(chain_of(tmp_path, "CommonTTLSConfig\nTTLSConfig\n")) == ["C506"]


# --- Missing files -----------------------------------------------------------------------
def test_missing_image_file_gives_c501_at_the_tcpimage_operand(tmp_path):
    chain = chain_of(tmp_path, "CommonTTLSConfig /etc/c\nTcpImage TCPIP /etc/nope.conf\n", c="")
    [d] = chain.diagnostics  # and no C505: the image file could not be read
    assert (d.code.id, Path(d.loc.path).name, d.loc.line, d.loc.col) == (
        "C501",
        "pagent.conf",
        2,
        16,
    )
    assert "/etc/nope.conf" in d.message
    assert only_image(chain).ttls is None


def test_missing_policy_file_gives_c501_in_the_image_file(tmp_path):
    chain = chain_of(
        tmp_path, "TcpImage TCPIP /etc/i\n", i="\nTTLSConfig //'SYS1.TCPPARMS(TTLS)'\n"
    )
    [d] = chain.diagnostics
    assert (d.code.id, Path(d.loc.path).name, d.loc.line) == ("C501", "i", 2)
    assert "//'SYS1.TCPPARMS(TTLS)'" in d.message


def test_missing_policy_file_is_still_listed(tmp_path):
    chain = chain_of(tmp_path, "TTLSConfig /etc/t\n")
    missing = tmp_path / "etc/t"
    assert [p.path for p in only_image(chain).policy_files] == [missing]
    assert missing in chain.files


def test_missing_common_file_gives_c501(tmp_path):
    chain = chain_of(tmp_path, "CommonTTLSConfig /etc/c\nTTLSConfig /etc/t\n", t="")
    [d] = chain.diagnostics
    assert (d.code.id, d.loc.line, d.loc.col) == ("C501", 1, 18)


def test_directory_named_as_policy_file_gives_c501(tmp_path):
    (tmp_path / "etc/dir").mkdir(parents=True)
    chain = chain_of(tmp_path, "TTLSConfig /etc/dir\n")
    [d] = chain.diagnostics
    assert d.code.id == "C501"
    assert "is a directory, not a regular file" in d.message


def test_unreadable_image_file_gives_c501(tmp_path, monkeypatch):
    put(tmp_path, "etc/i", "TTLSConfig /etc/t\n")
    main = put(tmp_path, "etc/pagent.conf", "TcpImage TCPIP /etc/i\n")

    def deny(path):
        if Path(path).name == "i":
            raise PermissionError(13, "Permission denied", str(path))
        return read_source(path)

    monkeypatch.setattr("pagent.policy.chain.read_source", deny)
    chain = load_chain(main, tmp_path)
    assert codes(chain) == ["C501"]  # and no C505 or C504
    assert chain.diagnostics[0].loc.col == 16  # at the operand that names the file
    assert "cannot be read: Permission denied" in chain.diagnostics[0].message
    assert only_image(chain).ttls is None


def test_files_lists_named_and_existing_files_once(tmp_path):
    chain = chain_of(
        tmp_path,
        "CommonTTLSConfig /etc/c\nTcpImage A /etc/i\nTcpImage B /etc/j\n",
        i="TTLSConfig /etc/t\n",
        j="TTLSConfig /etc/t\n",
        c="",
    )
    assert [p.name for p in chain.files] == ["pagent.conf", "c", "i", "t", "j"]


# --- looks_like_main_config --------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# comment\n\n  LogLevel 31\n", True),
        ("\ufeffTcpImage TCPIP\n", True),
        ("TTLSConfig /etc/t FLUSH\n", True),  # an image file
        ("commonttlsconfig /etc/c\n", True),
        ("TTLSRule r\n{\n}\n", False),
        ("# only comments\n", False),
        ("", False),
        ("{\nTcpImage TCPIP\n", False),
    ],
)
def test_looks_like_main_config_by_first_statement(text, expected):
    assert looks_like_main_config(text) is expected


def test_unsupported_codepage_warns_and_falls_back(tmp_path: Path) -> None:
    """Codepage IBM-9999 gives C508 and IBM-1047 is used (ttls-language.md §1.1)."""
    main = tmp_path / "etc" / "pagent.conf"
    main.parent.mkdir(parents=True)
    main.write_text("Codepage IBM-9999\nTcpImage TCPIP\nTTLSConfig /etc/t.policy\n")
    (tmp_path / "etc" / "t.policy").write_text("")
    chain = load_chain(main, tmp_path)
    assert chain.main is not None
    assert chain.main.codepage == "IBM-1047"
    assert [d.code.id for d in chain.diagnostics] == ["C508"]


# --- bad paths in the chain: a located C501, never an exception (issue 13 §4) ---------------
def _bad_path(root: Path, kind: str) -> str:
    """A z/OS path under ``root`` that names something PAGENT cannot read as a file."""
    import os

    if kind == "nul":
        return "/etc/bad\0name"
    target = root / "etc" / kind
    target.parent.mkdir(parents=True, exist_ok=True)
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "loop":
        target.symlink_to(target)
    else:
        target.mkdir()
    return f"/etc/{kind}"


_REASONS = {
    "nul": "has a NUL byte in its name",
    "fifo": "is a FIFO, not a regular file",
    "loop": "is a symbolic link loop",
    "dir": "is a directory, not a regular file",
}


@pytest.mark.parametrize("kind", list(_REASONS))
def test_a_bad_image_file_path_is_c501_at_its_operand(tmp_path, kind):
    bad = _bad_path(tmp_path, kind)
    chain = chain_of(tmp_path, f"TcpImage TCPIP1 {bad}\n")
    [d] = chain.diagnostics
    assert d.code.id == "C501"
    assert (d.loc.line, d.loc.col) == (1, 17)
    assert _REASONS[kind] in d.message


@pytest.mark.parametrize("kind", list(_REASONS))
def test_a_bad_policy_path_in_an_image_file_is_c501_there(tmp_path, kind):
    bad = _bad_path(tmp_path, kind)
    put(tmp_path, "etc/img", f"# image\nTTLSConfig {bad}\n")
    chain = chain_of(tmp_path, "TcpImage TCPIP1 /etc/img\n")
    [d] = chain.diagnostics
    assert d.code.id == "C501"
    assert d.loc == (str(tmp_path / "etc/img"), 2, 12)
    assert _REASONS[kind] in d.message


@pytest.mark.parametrize("kind", list(_REASONS))
def test_a_bad_common_file_path_is_c501_at_its_operand(tmp_path, kind):
    bad = _bad_path(tmp_path, kind)
    chain = chain_of(tmp_path, f"TTLSConfig /etc/p\nCommonTTLSConfig {bad}\n", p="")
    assert [(d.code.id, d.loc.line, d.loc.col) for d in chain.diagnostics] == [("C501", 2, 18)]


def test_an_image_file_that_is_binary_is_c501_not_text(tmp_path):
    put(tmp_path, "etc/img", b"\x7fELF" + b"\0" * 3000)
    chain = chain_of(tmp_path, "TcpImage TCPIP1 /etc/img\n")
    [d] = chain.diagnostics
    assert d.code.id == "C501"
    assert "is not a text file" in d.message
