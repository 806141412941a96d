"""The configuration chain: which AT-TLS policy files make up each TCP/IP image's policy.

One responsibility: read the Policy Agent main configuration file (pagent.conf) and the
image configuration files it names, and say for every TCP/IP image which policy files
PAGENT would read for it (the CommonTTLSConfig file first, then the image's TTLSConfig
file), with the FLUSH/PURGE flags and refresh interval that apply, and the C5xx
diagnostics. It does not read the AT-TLS policy files themselves (:mod:`pagent.policy.policy`
does); it only names them, so that callers can check them or watch them for changes.

The rules, from the reference (pagent-ops.md §1, ttls-language.md §1.1)::

    pagent.conf (main)                 image file (one per stack)           policy files
    LogLevel 31                        TTLSConfig /etc/tcpip1.ttls  ->  TTLSRule ... { }
    TcpImage TCPIP1 /etc/tcpip1.conf
    CommonTTLSConfig /etc/common.ttls  ------------------------------>  (read first)

z/OS paths are mapped into a system root directory given by the caller: an absolute UNIX
path ``/etc/x`` is ``ROOT/etc/x``, a data set ``//'HLQ.LIB(MEMBER)'`` is
``ROOT/etc/datasets/HLQ.LIB/MEMBER`` and a sequential data set ``//'HLQ.NAME'`` is
``ROOT/etc/datasets/HLQ.NAME``.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from pagent.policy.addresses import bounded_int
from pagent.policy.diagnostics import Diagnostic
from pagent.policy.source import (
    BOM,
    SourceError,
    SourceLoc,
    SourceText,
    file_problem,
    read_source,
)

# --- Defaults and limits (pagent-ops.md §1.3, §1.4). ------------------------------------
DEFAULT_LOG_LEVEL = 31  # "Log Level 31 is the default log loglevel" (§1.3) [DOC]
DEFAULT_CODEPAGE = "IBM-1047"  # §1.1, ttls-language.md §1.1 [DOC]
# The EBCDIC pages PAGENT supports (ttls-language.md §1.1 [DOC], EZAPAGCO).
SUPPORTED_CODEPAGES = frozenset(
    {f"IBM-{n}" for n in (37, 273, 274, 275, 277, 278, 280, 281, 282, 284, 285, 297, 500, 871)}
    | {"IBM-037", "IBM-1047"}
    | {f"IBM-{n}" for n in range(1140, 1150)}
)
DEFAULT_INTERVAL = 1800  # TcpImage refresh_interval default, seconds (§1.3) [DOC]
MAX_INTERVAL = 2147483647  # TcpImage refresh_interval maximum (§1.3) [DOC]
MAX_NUMBER = 4294967295  # ceiling of every Policy Agent number (ttls-language.md §1.6) [DOC]
# FLUSH/NOFLUSH has no documented default (§1.4 [UNV]); the reference calls FLUSH "the
# likelier default", so pagent takes FLUSH. PURGE/NOPURGE defaults to NOPURGE (§1.4 [DOC]).
DEFAULT_FLUSH = True
DEFAULT_PURGE = False
# With no TcpImage statement all policy goes to the default stack: the resolver's
# TCPIPJOBNAME, else INET (§1.2 [DOC]). pagent has no resolver; it takes 'TCPIP' because
# that is TCPIPJOBNAME's own default in TCPIP.DATA and the stack name of every example in
# the reference and the corpus (PAGENTCF). 'INET' is only used when no name can be found.
DEFAULT_IMAGE_NAME = "TCPIP"

# --- Statement keywords (pagent-ops.md §1.3), compared in lower case. --------------------
_TCPIMAGE = frozenset({"tcpimage", "pepinstance"})  # PEPInstance is a synonym (§1.2)
# Honoured only in the main file; in a separate image file they are ignored (C503).
# CommonTTLSConfig: ttls-language.md §1.1 [DOC]; TcpImage, LogLevel and Codepage describe
# the whole agent, so pagent treats them the same way [UNV].
_MAIN_ONLY = frozenset({*_TCPIMAGE, "loglevel", "codepage", "commonttlsconfig"})
# Known statements that pagent recognises and ignores (§1.3). CommonIPSecConfig and
# PolicyPerfMonitorForSDR are not in the reference; they are IBM main-file statements
# from EZAPAGCO as recalled [UNV], listed so that they do not give C502.
_IGNORED = frozenset(
    {
        "qosconfig",
        "idsconfig",
        "ipsecconfig",
        "routingconfig",
        "zertconfig",
        "policyserver",
        "serverconnection",
        "clientconnection",
        "servicesconnection",
        "dynamicconfigpolicyload",
        "readfromdirectory",
        "automonitorapps",
        "commonipsecconfig",
        "policyperfmonitorforsdr",
    }
)
_KNOWN = frozenset({*_MAIN_ONLY, "ttlsconfig", *_IGNORED})
_FLAGS = {"flush": ("flush", True), "noflush": ("flush", False),
          "purge": ("purge", True), "nopurge": ("purge", False)}  # fmt: skip

# Comments start with '#' at the start of a token (§1.3 "Comment lines start with #";
# ttls-language.md §1.3: also after a value). A double-quoted string is one token
# (ttls-language.md §1.2: PolicyRole "quoted role 3").
_TOKEN = re.compile(r'"[^"]*"?|[^\s"]+')

# MVS data set names: 1-8 character qualifiers of A-Z 0-9 @ # $ - (not starting with a
# digit or '-'), at most 44 characters; a member is 1-8 characters, not starting with a digit.
_QUALIFIER = r"[A-Z@#$][A-Z0-9@#$-]{0,7}"
_MEMBER = r"[A-Z@#$][A-Z0-9@#$]{0,7}"
_DSN = re.compile(rf"(?P<dsn>{_QUALIFIER}(?:\.{_QUALIFIER})*)(?:\((?P<member>{_MEMBER})\))?")
_MAX_DSN = 44


# --- Paths. ------------------------------------------------------------------------------
def dataset_path(dsn: str, root: Path) -> Path:
    """Where an MVS data set lives under ``root``: ``SYS1.TCPPARMS(TTLS)`` -> etc/datasets/...

    The name may be in single quotes; it is upper-cased (MVS names are upper case). A
    partitioned data set member is ``ROOT/etc/datasets/DSN/MEMBER``, a sequential data set
    ``ROOT/etc/datasets/DSN``. Raises ValueError when ``dsn`` is not a data set name.
    """
    name = dsn.strip()
    if len(name) >= 2 and name[0] == name[-1] == "'":
        name = name[1:-1]
    m = _DSN.fullmatch(name.upper())
    if m is None or len(m["dsn"]) > _MAX_DSN:
        raise ValueError(f"'{dsn}' is not an MVS data set name")
    base = root / "etc" / "datasets" / m["dsn"]
    return base / m["member"] if m["member"] else base


def resolve_zos_path(zpath: str, root: Path) -> Path:
    """Map a z/OS file name from a configuration file to a file under ``root``.

    ``//'HLQ.LIB(MEMBER)'`` and the unquoted ``//HLQ.LIB(MEMBER)`` are data sets
    (:func:`dataset_path`; the unquoted form gets no TSO prefix, pagent has no user). An
    absolute UNIX path is taken below ``root``, and so is a relative one (PAGENT runs with
    the root directory as its working directory [UNV]). ``..`` cannot climb above ``root``.
    Raises ValueError for an empty name or a malformed data set name.
    """
    text = zpath.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    if not text:
        raise ValueError("empty file name")
    if text.startswith("//"):
        return dataset_path(text[2:], root)
    rel = posixpath.normpath("/" + text).lstrip("/")
    return root / rel if rel else root


def default_root(cwd: Path) -> Path | None:
    """The system root when none is given: ``cwd`` if it holds etc/pagent.conf, else None."""
    return cwd if (cwd / "etc" / "pagent.conf").is_file() else None


# --- The model. --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class TcpImage:
    """A TcpImage (or PEPInstance) statement, with defaults filled in (§1.3).

    The image PAGENT assumes when the main file has no TcpImage is located at line 1,
    column 1 of the main file.
    """

    name: str
    image_file: str | None  # as coded; None: the main file is also the image file
    flush: bool
    purge: bool
    interval: int  # refresh interval, seconds
    loc: SourceLoc


@dataclass(frozen=True, slots=True)
class TTLSConfig:
    """The TTLSConfig statement that applies to one image, FLUSH/PURGE inherited (§1.4)."""

    path: str | None  # as coded; None: the image gets only the CommonTTLSConfig policy
    flush: bool
    purge: bool
    loc: SourceLoc


@dataclass(frozen=True, slots=True)
class PolicyFile:
    """One AT-TLS policy file of an image's policy."""

    zos_path: str  # as coded
    path: Path  # under the root (it may not exist: see the chain's C501)
    common: bool  # named by CommonTTLSConfig
    named_at: SourceLoc  # the operand that names it


@dataclass(frozen=True, slots=True)
class ImageConfig:
    """One TCP/IP image and the AT-TLS policy files PAGENT would read for it."""

    image: TcpImage
    image_path: Path | None  # the image file under the root; None when the main file serves
    ttls: TTLSConfig | None  # None: no TTLSConfig, so no AT-TLS policy for this image
    policy_files: tuple[PolicyFile, ...]  # CommonTTLSConfig file first, then TTLSConfig file


@dataclass(frozen=True, slots=True)
class MainConfig:
    """The main configuration file, as PAGENT would use it."""

    path: Path
    log_level: int
    codepage: str
    common: PolicyFile | None
    images: tuple[ImageConfig, ...]
    log_level_loc: SourceLoc | None = None  # the LogLevel used, None when defaulted
    codepage_loc: SourceLoc | None = None  # the Codepage used, None when defaulted

    @property
    def refresh_interval(self) -> int:
        """The main file's own re-check interval: the smallest TcpImage interval (§1.3)."""
        return min((i.image.interval for i in self.images), default=DEFAULT_INTERVAL)


@dataclass(frozen=True, slots=True)
class Chain:
    """The result of :func:`load_chain`."""

    main: MainConfig | None
    diagnostics: tuple[Diagnostic, ...]
    files: tuple[Path, ...]  # every file of the chain, existing or only named


# --- Reading statements. -----------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class _Tok:
    text: str
    loc: SourceLoc


@dataclass(frozen=True, slots=True)
class _Stmt:
    keyword: str  # as coded
    key: str  # lower case
    args: tuple[_Tok, ...]
    loc: SourceLoc


@dataclass(slots=True)
class _File:
    """The statements of one configuration file and what reading them found."""

    statements: list[_Stmt] = field(default_factory=list)
    unknown: list[Diagnostic] = field(default_factory=list)  # C502s

    @property
    def recognizable(self) -> bool:
        return any(s.key in _KNOWN for s in self.statements)


def _tokens(line: str, path: str, lineno: int) -> list[_Tok]:
    out: list[_Tok] = []
    for m in _TOKEN.finditer(line):
        if m.group().startswith("#"):
            break
        out.append(_Tok(m.group(), SourceLoc(path, lineno, m.start() + 1)))
    return out


def _read_statements(src: SourceText) -> _File:
    """Split a configuration file into top-level statements.

    One statement per line (keyword and operands). A statement may open a ``{ }`` block
    (ReadFromDirectory, for instance, is written that way); the block's lines are skipped,
    since pagent uses none of the statements that take one.
    """
    found = _File()
    depth = 0
    opener: _Stmt | None = None  # the statement whose block is open (or may open next)
    for lineno, line in enumerate(src.lines, start=1):
        toks = _tokens(line, src.path, lineno)
        if not toks:
            continue
        first = toks[0]
        if depth == 0 and first.text not in ("{", "}"):
            args: list[_Tok] = []
            for t in toks[1:]:
                if t.text in ("{", "}"):
                    break
                args.append(t)
            opener = _Stmt(first.text, first.text.lower(), tuple(args), first.loc)
            found.statements.append(opener)
            if opener.key not in _KNOWN:
                found.unknown.append(
                    Diagnostic.make(
                        "C502", first.loc, f"unknown statement '{first.text}' is ignored"
                    )
                )
            toks = toks[1 + len(args) :]
        for t in toks:
            if t.text == "{":
                depth += 1
            elif t.text == "}":
                if depth == 0:
                    found.unknown.append(
                        Diagnostic.make("C502", t.loc, "'}' closes no block; it is ignored")
                    )
                else:
                    depth -= 1
    if depth > 0:
        where = opener.loc if opener is not None else SourceLoc(src.path, 1, 1)
        found.unknown.append(
            Diagnostic.make("C502", where, "a '{' is never closed: the rest of the file is skipped")
        )
    return found


# --- Operands. ---------------------------------------------------------------------------
@dataclass(slots=True)
class _Flags:
    flush: bool | None = None
    purge: bool | None = None
    interval: int | None = None


@dataclass(frozen=True, slots=True)
class _TTLSStmt:
    path: str | None
    path_loc: SourceLoc | None
    flags: _Flags
    loc: SourceLoc


class _Loader:
    """One run of :func:`load_chain`: collects diagnostics and files as it goes."""

    def __init__(self, main_path: Path, root: Path) -> None:
        self.main_path = main_path
        self.root = root
        self.diags: list[Diagnostic] = []
        self._seen: set[tuple[str, SourceLoc, str]] = set()
        self.files: dict[Path, None] = {main_path: None}
        self.implied: TcpImage | None = None  # the default image, when there is no TcpImage

    def diag(
        self,
        code_id: str,
        loc: SourceLoc,
        message: str,
        related: Iterable[tuple[SourceLoc, str]] = (),
    ) -> None:
        key = (code_id, loc, message)
        if key not in self._seen:  # a file shared by several images is reported once
            self._seen.add(key)
            self.diags.append(Diagnostic.make(code_id, loc, message, related))

    def flags(self, stmt: _Stmt, toks: Iterable[_Tok], *, interval: bool) -> _Flags:
        """FLUSH|NOFLUSH, PURGE|NOPURGE and (on TcpImage) the interval, in any order [UNV].

        A bad operand is reported (C506) and ignored; the rest of the statement is used.
        """
        out = _Flags()
        for t in toks:
            word = t.text.lower()
            if word in _FLAGS:
                attr, value = _FLAGS[word]
                old: bool | None = getattr(out, attr)
                if old is not None and old != value:
                    self.diag("C506", t.loc, f"{t.text} contradicts an earlier operand of "
                              f"{stmt.keyword}; it is ignored")  # fmt: skip
                else:
                    setattr(out, attr, value)
            elif interval and _is_decimal(t.text) and out.interval is None:
                n = bounded_int(t.text, MAX_INTERVAL)
                if n is not None and n >= 1:
                    out.interval = n
                else:
                    self.diag("C506", t.loc, f"refresh interval {t.text} is not in 1-"
                              f"{MAX_INTERVAL}; {DEFAULT_INTERVAL} is used")  # fmt: skip
            else:
                expect = "FLUSH, NOFLUSH, PURGE, NOPURGE" + (" or an interval" if interval else "")
                self.diag("C506", t.loc, f"'{t.text}' is not a {stmt.keyword} operand "
                          f"(expected {expect}); it is ignored")  # fmt: skip
        return out

    def resolve(self, tok: _Tok, what: str) -> Path | None:
        """The file a path operand names, or None (C506) when it cannot be mapped."""
        try:
            return resolve_zos_path(tok.text, self.root)
        except ValueError as e:
            self.diag("C506", tok.loc, f"{what} {tok.text}: {e}")
            return None

    def exists(self, path: Path, zos: str, at: SourceLoc, what: str) -> bool:
        """True when ``path`` is a regular file that opens; else C501 at the operand that
        names it, with the reason (not found, a directory, a FIFO, a symbolic link loop, a
        NUL byte in the name: issue 13 §4)."""
        self.files.setdefault(path, None)
        why = file_problem(path)
        if why is None:
            return True
        self.diag("C501", at, f"{what} {zos} {why} (looked for {path})")
        return False

    # --- statements -----------------------------------------------------------------
    def tcpimage(self, stmt: _Stmt) -> tuple[TcpImage, Path | None, bool] | None:
        """A TcpImage statement: (image, image file path, path usable), or None (C506)."""
        if not stmt.args:
            self.diag("C506", stmt.loc, f"{stmt.keyword} names no TCP/IP image; it is ignored")
            return None
        name, rest = stmt.args[0], list(stmt.args[1:])
        image_tok: _Tok | None = None
        if rest and rest[0].text.lower() not in _FLAGS and not _is_decimal(rest[0].text):
            image_tok = rest.pop(0)  # §1.3: name [image_config_file] [FLUSH...] ...
        f = self.flags(stmt, rest, interval=True)
        image = TcpImage(
            name=name.text,
            image_file=image_tok.text if image_tok else None,
            flush=DEFAULT_FLUSH if f.flush is None else f.flush,
            purge=DEFAULT_PURGE if f.purge is None else f.purge,
            interval=DEFAULT_INTERVAL if f.interval is None else f.interval,
            loc=stmt.loc,
        )
        if image_tok is None:
            return image, None, True
        path = self.resolve(image_tok, "image file")
        return image, path, path is not None

    def ttlsconfig(self, stmt: _Stmt) -> _TTLSStmt | None:
        """A TTLSConfig statement (§1.3): [path] [FLUSH|NOFLUSH] [PURGE|NOPURGE]."""
        rest = list(stmt.args)
        path_tok = rest.pop(0) if rest and rest[0].text.lower() not in _FLAGS else None
        f = self.flags(stmt, rest, interval=False)
        if path_tok is not None and self.resolve(path_tok, "TTLSConfig file") is None:
            return None  # the statement is ignored: no policy file can be named
        return _TTLSStmt(
            path=path_tok.text if path_tok else None,
            path_loc=path_tok.loc if path_tok else None,
            flags=f,
            loc=stmt.loc,
        )

    def last_wins(self, stmt: _Stmt, earlier: SourceLoc | None) -> None:
        """C507 when a statement used once is coded again (§1.3, ttls-language.md §1.1)."""
        if earlier is not None:
            self.diag(
                "C507",
                stmt.loc,
                f"{stmt.keyword} is coded again; this one is used",
                [(earlier, f"earlier {stmt.keyword}, ignored")],
            )

    def image_file(self, path: Path, at: SourceLoc) -> tuple[_TTLSStmt | None, bool]:
        """Read a separate image file: (its TTLSConfig, if any; False when unusable) (§1.2)."""
        try:
            src = read_source(path)
        except SourceError as e:
            self.diag("C501", at, f"image file {path} {e.strerror}")
            return None, False
        except OSError as e:
            self.diag("C501", at, f"image file {path} cannot be read: {e.strerror or e}")
            return None, False
        found = _read_statements(src)
        if not found.recognizable:
            # §1.2 [DOC]: WARNING:005 "Image config file ... does not contain any
            # recognizable statements" - typically the policy file named by TcpImage.
            # One C504 instead of a C502 for every statement of that file.
            first = found.statements[0].loc if found.statements else SourceLoc(src.path, 1, 1)
            self.diag(
                "C504",
                first,
                f"image file {path} contains no recognizable statement (is it a policy "
                "file? TcpImage must name an image file holding TTLSConfig)",
                [(at, "named here")],
            )
            return None, False
        for d in found.unknown:
            self.diag(d.code.id, d.loc, d.message)
        ttls: _TTLSStmt | None = None
        for s in found.statements:
            if s.key == "ttlsconfig":
                new = self.ttlsconfig(s)
                if new is not None:
                    self.last_wins(s, ttls.loc if ttls else None)
                    ttls = new
            elif s.key in _MAIN_ONLY:
                # ttls-language.md §1.1 [DOC]: CommonTTLSConfig only in the main file.
                self.diag("C503", s.loc, f"{s.keyword} belongs in the main configuration "
                          "file; PAGENT ignores it in an image file")  # fmt: skip
        return ttls, True

    def policy_file(self, zos: str, loc: SourceLoc, *, common: bool) -> PolicyFile:
        path = resolve_zos_path(zos, self.root)  # already checked by resolve()
        what = "CommonTTLSConfig file" if common else "TTLSConfig file"
        self.exists(path, zos, loc, what)
        return PolicyFile(zos_path=zos, path=path, common=common, named_at=loc)

    # --- the whole chain ------------------------------------------------------------
    def load(self) -> MainConfig:
        src = read_source(self.main_path)  # OSError: the caller exits 2
        found = _read_statements(src)
        log_level, log_loc = DEFAULT_LOG_LEVEL, None
        codepage, cp_loc = DEFAULT_CODEPAGE, None
        common_tok: _Tok | None = None
        common_loc: SourceLoc | None = None
        ttls_main: _TTLSStmt | None = None
        ttls_main_stmts: list[_Stmt] = []  # the usable ones
        images: dict[str, tuple[TcpImage, Path | None, bool]] = {}
        for d in found.unknown if found.recognizable else ():
            self.diag(d.code.id, d.loc, d.message)
        for s in found.statements:
            if s.key in _TCPIMAGE:
                got = self.tcpimage(s)
                if got is not None:
                    key = got[0].name.upper()  # stack names are MVS job names [UNV]
                    if key in images:  # same image twice: last wins [UNV]
                        self.last_wins(s, images[key][0].loc)
                    images[key] = got
            elif s.key == "loglevel":
                n = self._log_level(s)
                if n is not None:
                    self.last_wins(s, log_loc)
                    log_level, log_loc = n, s.loc
            elif s.key == "codepage":
                if not s.args:
                    self.diag("C506", s.loc, "Codepage names no code page; it is ignored")
                    continue
                self.last_wins(s, cp_loc)
                codepage, cp_loc = s.args[0].text.upper(), s.loc
                if codepage not in SUPPORTED_CODEPAGES:
                    # ttls-language.md §1.1 [DOC] (EZAPAGCO): warning, IBM-1047 used instead.
                    self.diag(
                        "C508",
                        s.loc,
                        f"Codepage {codepage} is not supported; PAGENT uses {DEFAULT_CODEPAGE}",
                    )
                    codepage = DEFAULT_CODEPAGE
            elif s.key == "commonttlsconfig":
                # §1.3: CommonTTLSConfig path; FLUSH/PURGE on it are [UNV] and ignored.
                if not s.args:
                    self.diag("C506", s.loc, "CommonTTLSConfig names no file; it is ignored")
                    continue
                if self.resolve(s.args[0], "CommonTTLSConfig file") is None:
                    continue
                self.last_wins(s, common_loc)  # ttls-language.md §1.1: last one is used
                common_tok, common_loc = s.args[0], s.loc
            elif s.key == "ttlsconfig":
                new = self.ttlsconfig(s)
                if new is not None:
                    ttls_main_stmts.append(s)
                    ttls_main = new

        # §1.2: no TcpImage -> the default stack, and the main file is its image file.
        if not images:
            implied = TcpImage(
                DEFAULT_IMAGE_NAME, None, DEFAULT_FLUSH, DEFAULT_PURGE, DEFAULT_INTERVAL,
                SourceLoc(src.path, 1, 1),
            )  # fmt: skip
            images[DEFAULT_IMAGE_NAME] = (implied, None, True)
            self.implied = implied
            if not found.recognizable:
                self.diag(
                    "C504",
                    found.statements[0].loc if found.statements else SourceLoc(src.path, 1, 1),
                    f"{src.path} contains no recognizable configuration statement (is it a "
                    "policy file?)",
                )

        # The main file is also an image file when a TcpImage names no image file, or
        # names the main file itself (§1.3 TTLSConfig; ttls-language.md §1.1 "unless main
        # and image file are the same file").
        def main_serves(path: Path | None) -> bool:
            return path is None or _same_file(path, self.main_path)

        serving = any(ok and main_serves(p) for _, p, ok in images.values())
        if serving:
            prev: SourceLoc | None = None
            for s in ttls_main_stmts:
                self.last_wins(s, prev)
                prev = s.loc
        else:
            for s in ttls_main_stmts:
                self.diag("C503", s.loc, "TTLSConfig in the main file is ignored: every "
                          "TcpImage names its own image file")  # fmt: skip

        common = None
        if common_tok is not None:
            common = self.policy_file(common_tok.text, common_tok.loc, common=True)

        by_loc = {s.loc: s for s in found.statements}  # one dict, not a scan per image
        configs: list[ImageConfig] = []
        image_files: dict[Path, tuple[_TTLSStmt | None, bool]] = {}
        for image, path, ok in images.values():
            named: _TTLSStmt | None = None
            readable = ok
            if ok and main_serves(path):
                named = ttls_main
            elif path is not None and image.image_file is not None:
                at = _operand_loc(by_loc, image)
                if self.exists(path, image.image_file, at, "image file"):
                    if path not in image_files:
                        image_files[path] = self.image_file(path, at)
                    named, readable = image_files[path]
                else:
                    readable = False
            configs.append(self._image(image, path, named, common, readable=readable))
        return MainConfig(
            path=self.main_path,
            log_level=log_level,
            codepage=codepage,
            common=common,
            images=tuple(configs),
            log_level_loc=log_loc,
            codepage_loc=cp_loc,
        )

    def _image(
        self,
        image: TcpImage,
        path: Path | None,
        named: _TTLSStmt | None,
        common: PolicyFile | None,
        *,
        readable: bool,
    ) -> ImageConfig:
        if named is None:
            if common is not None and readable:
                # ttls-language.md §1.1 [DOC]: with no TTLSConfig the common file is not
                # parsed for the stack; TTLSConfig is required to get any AT-TLS policy.
                self.diag(
                    "C505",
                    common.named_at,
                    f"image {image.name} has no TTLSConfig statement, so it gets no AT-TLS "
                    "policy and this CommonTTLSConfig file is not used for it",
                    [] if image is self.implied else [(image.loc, f"TcpImage {image.name}")],
                )
            return ImageConfig(image, path, None, ())
        # §1.4 [DOC]: TTLSConfig without FLUSH/NOFLUSH (PURGE/NOPURGE) takes TcpImage's.
        ttls = TTLSConfig(
            path=named.path,
            flush=image.flush if named.flags.flush is None else named.flags.flush,
            purge=image.purge if named.flags.purge is None else named.flags.purge,
            loc=named.loc,
        )
        files: list[PolicyFile] = []
        if common is not None:  # §1.2: processed before the image's own file
            files.append(common)
        if named.path is not None and named.path_loc is not None:
            files.append(self.policy_file(named.path, named.path_loc, common=False))
        return ImageConfig(image, path, ttls, tuple(files))

    def _log_level(self, stmt: _Stmt) -> int | None:
        """LogLevel n (§1.3): a bit sum; any number up to the Policy Agent ceiling [UNV]."""
        if not stmt.args:
            self.diag("C506", stmt.loc, "LogLevel has no value; it is ignored")
            return None
        tok = stmt.args[0]
        n = bounded_int(tok.text, MAX_NUMBER) if _is_decimal(tok.text) else None
        if n is None:
            self.diag("C506", tok.loc, f"LogLevel '{tok.text}' is not a number in 0-"
                      f"{MAX_NUMBER}; it is ignored")  # fmt: skip
            return None
        return n


def _is_decimal(text: str) -> bool:
    """ASCII digits only (str.isdigit also takes '²', which int() refuses)."""
    return text.isascii() and text.isdigit()


def _same_file(a: Path, b: Path) -> bool:
    """True when two paths name one file; never raises (a NUL byte, a symbolic link loop)."""
    try:
        return a.samefile(b)
    except (OSError, ValueError, RuntimeError):
        pass
    try:
        return a.resolve() == b.resolve()
    except (OSError, ValueError, RuntimeError):
        return a == b


def _operand_loc(by_loc: dict[SourceLoc, _Stmt], image: TcpImage) -> SourceLoc:
    """Where a TcpImage names its image file (its second operand)."""
    stmt = by_loc[image.loc]
    return stmt.args[1].loc if len(stmt.args) > 1 else stmt.loc


# --- Entry points. -----------------------------------------------------------------------
def load_chain(main_path: Path, root: Path) -> Chain:
    """Read ``main_path`` and the image files it names; z/OS paths are mapped under ``root``.

    Raises OSError when the main file cannot be read (callers exit 2). Missing image and
    policy files are diagnostics (C501), not exceptions.
    """
    loader = _Loader(main_path, root)
    main = loader.load()
    for image in main.images:
        for pf in image.policy_files:
            loader.files.setdefault(pf.path, None)
    return Chain(main=main, diagnostics=tuple(loader.diags), files=tuple(loader.files))


def looks_like_main_config(text: str) -> bool:
    """True when the first statement is a pagent.conf statement (TcpImage, LogLevel, ...).

    Lets a command tell a main configuration file (or an image file) from a policy file,
    whose first statement is TTLSRule, TTLSGroupAction and so on.
    """
    for line in text.replace(BOM, "").splitlines():
        m = _TOKEN.search(line)
        if m is None or m.group().startswith("#"):
            continue
        return m.group().lower() in _KNOWN
    return False
