"""The message catalogue: every message ID pagent shows, with its text, and nothing else.

This module is the one owner of message IDs and message texts. Every other module (the
TCP/IP stack, PAGENT, AT-TLS, syslogd, the MVS console) formats what it shows through
:func:`format_message`, :func:`format_lines` or :func:`format_text`; none of them spells a
message text itself. The module does no I/O and keeps no state: where a line goes (console,
syslogd, PAGENT log), its time stamp, the OPERLOG leading blank and the PAGENT log's
function prefix are the writers' business.

A :class:`Message` holds a template in :meth:`str.format` syntax with named fields only
(``{image}``, ``{connid:08X}``, ``{verb:<8}``), written exactly as the real message appears
(reference ``shared/reference/pagent-ops.md``, seed ``zcee-security-mvs-batch-workshop.txt``).
Format specifications are part of the text: the column widths, the zero-padded hex IDs and
the right-justified return codes are interface facts owned here, so callers pass plain
values (ints for hex and numeric fields, strings otherwise).

Two kinds of IDs live in :data:`CATALOGUE`:

* **Real IDs** (``EZZ8771I``, ``EZD1281I``, ``IEE341I``, ``$HASP100``, ``FSUM1254``): the
  formatted line starts with the ID. The severity is the ID's last letter (I, W, E, A, D);
  the few families without a letter ($HASP, FSUM) state theirs.
* **pagent's own IDs**, dotted, for lines that carry no message ID on z/OS: the formatted line
  is the text alone. ``PAGENT.LOG.*`` are PAGENT's log-only lines (``main: Compiled on ...``,
  ``Processing: '...'``); ``DISPLAY.*`` are the body lines of multi-line displays (the stack
  rows of D TCPIP, the NETSTAT report lines); ``PASEARCH.*`` are pasearch output lines. These
  IDs are pagent's invention, never shown, and never look like IBM's.

A multi-line message (MLWTO: ``EZAOP50I``, ``EZD0101I``, ``EZD1287I``) has one line per
template line. :func:`format_lines` appends the console's rolling message number to its
first line (``EZAOP50I TCPIP STATUS REPORT 007``). A template line that is only ``{name}``
is a *lines field*: it takes a sequence of already formatted lines (for example the
``DISPLAY.TCPIP.STACK`` rows of ``EZAOP50I``), zero or more.

IBM messages that PAGENT also logs (``main: EZZ8431I PAGENT STARTING``) are formatted here
without the function prefix; the log writer adds ``main: ``. The log-only lines include
their prefix, as captured.
"""

from __future__ import annotations

import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final, Literal, cast, get_args

# Fidelity notes
# ==============
# Choices made where the reference (pagent-ops.md) marks a text [UNV] or NOT FOUND, or where
# the seed workshop and the reference disagree. Each catalogue entry's ``source`` gives the
# tag of its text; the entries of the first list all have source 'UNV ...'.
#
# Invented IDs and texts (the ID or the text was NOT FOUND; the form is pagent's):
# * EZZ8433I PAGENT ENDING: the normal-stop message (pagent-ops §2.3, §3: NOT FOUND; EZZ8433I
#   is only "the obvious candidate").
# * EZZ8439I PAGENT LDAP CONFIGURATION ERROR and EZZ8440I PAGENT UNABLE TO CONNECT TO LDAP
#   SERVER: meanings [DOC] (§3), texts NOT FOUND.
# * EZZ8443I PAGENT MODIFY COMMAND ACCEPTED: the reference's own suggestion (§2.4).
# * EZZ8444I PAGENT MODIFY COMMAND REJECTED: the answer to an unknown MODIFY keyword; ID only
#   suggested (§3), text modelled on EZZ8443I. No reason is given, as pagent does not know
#   whether IBM gives one.
# * EZZ8445I PAGENT LOGLEVEL n DEBUG LEVEL n TRACE LEVEL n: the MODIFY QUERY display. Both the
#   ID and the text are invented (§2.4: "IDs and texts ... NOT FOUND"); the ID is the next
#   free one after the suggested pair.
# * EZZ8780I PAGENT UNABLE TO CONNECT TO POLICY SERVER FOR image : type AT host: meaning [DOC]
#   (§3), text modelled on EZZ8782I.
# * EZD2042I TTLS GROUP group FAILED FOR tcpname: ID seen (APAR PH68292), text NOT FOUND.
# * EZZ0301I UNABLE TO OPEN ftype FILE file: the OBEY data set cannot be opened. Both ID and
#   text are NOT FOUND (§4.5: "the EZZ0301I-EZZ0307I range exists"); the text mirrors
#   EZZ0300I. The failed VARY then ends with EZZ0050I (see below).
# * EZZ0064I VARY SYNTAXCHECK FOUND ERRORS: meaning [DOC], text [UNV] (§4.5).
# * EZD1285I TTLS Data: layout NOT FOUND (§5.3); modelled on EZD1283I.
# * PAGENT.LOG.TTLS.UNCHANGED, PAGENT.LOG.TTLS.CHANGES, PAGENT.LOG.POLICY.ERROR and
#   PAGENT.LOG.POLICY.KEPT: pagent's log lines for a refresh (what changed, or that nothing
#   did, issue 3) and for EZZ8438I's details in the log (§3 says they are there at LogLevel
#   >= 127, in a form not retrieved).
# * PAGENT.LOG.TTLS.NO_RULES: pagent's warning when a refresh removes every rule of an image
#   (an empty or truncated policy file, issue 13 §10); PAGENT itself only has EZZ4249I.
# * FSUM1256 SYSLOGD MODIFY COMMAND UNSUCCESSFUL - activity ALREADY IN PROGRESS: meaning
#   [DOC] (§7.1, "archive or restart already running"), text modelled on FSUM1253.
# * PAGENT.LOG.MAIN.ALREADY_ACTIVE ``main: Can not run more than one copy of pagent``: the
#   second-instance refusal; only a paraphrase was seen (§1.5, [EX]). pagent puts it in the
#   log and follows it with EZZ8434I on the console rather than invent an IBM ID.
#
# Texts chosen among variants, or completed:
# * EZZ0050I COMMAND command FAILED: [EX] (one unverified document, "COMMAND VARY OBEYFILE
#   FAILED"). The command words are a field, so the stack passes "VARY OBEY" as it does for
#   EZZ0053I (whose wording the workshop confirms).
# * EZZ8773I/EZZ8774I: the manual writes "tcpImage: type", the observed EZZ8774I "INET : QOS";
#   pagent uses " : " like every other PAGENT message. EZZ8438I likewise uses " : " although
#   the IBM Q&A prints "image: TTLS".
# * EZZ4248E jobname WAITING FOR PAGENT TTLS POLICY: ID [DOC], text [EX] (§3).
# * IEE342I: the STOP form's padding of the verb to 8 is inferred from the MODIFY form.
# * IEF404I, $HASP395: by analogy with IEF403I and $HASP373 (§2.1). IEF695I: the reference
#   has "START PAGENT WITH JOBNAME PAGENT IS ASSIGNED TO USER ..." [UNV]; pagent completes it
#   as z/OS prints it from memory: names padded to 8, then ", GROUP group".
# * IGD104I dsname RETAINED,  DDNAME=ddname: text not in the reference (§1.3 mentions only the
#   ID); this is the z/OS form from memory, data set name padded to 44.
# * FSUM1252/FSUM1253/FSUM1254/FSUM1256 and $HASP100/$HASP373/$HASP395 carry no severity
#   letter; pagent gives I to the informational ones, E to FSUM1253 (syntax error) and W to
#   FSUM1256 (request refused, nothing wrong).
# * PAGENT.LOG.MAIN.USE_ENVIRONMENT takes the variable as a field; the workshop shows the line
#   for PAGENT_CONFIG_FILE only, so whether PAGENT writes it for other variables is [UNV].
# * EZZ0300I/EZZ0309I/EZZ0316I take the file as shown: a data set quoted
#   ('SYS1.TCPPARMS(TTLS)'), a DD bare (DD:PROFILE), as in the captures (§4.5).
# * EZAOP60I TELNET STATUS REPORT: only the first line is documented (§4.1); its body is a
#   lines field for whoever renders it.
#
# Layout choices (the words are confirmed, the blanks are not):
# * PDF extraction collapses runs of blanks in the workshop (its D TCPIP columns show it), so
#   the workshop is no witness for spacing. The catalogue follows IBM's layouts instead, and
#   the tests compare workshop lines after collapsing blanks:
#   - EZD1281I ``TTLS Map   CONNID:`` with three blanks, so that the word after the event
#     name starts in the same column in Map/Start/Event/Flow/Error (the manual's layout, §5.3;
#     EZD1284I ``TTLS Flow  GRPID:`` shows the same alignment).
#   - ``RC:`` right-justifies the return code in 4 columns in EZD1283I, EZD1284I, EZD1285I and
#     EZD1286I (``RC:    0``), as the observed EZD1287I does (``RC:  406``, §5.3 [OBS]).
#   - EZAOP50I: the reference's IBM example (§4.1, z/OS V1R9, columns approximate) including
#     its dashes line, which the workshop lacks; the stack rows (DISPLAY.TCPIP.STACK) right-
#     justify COUNT and start VERSION with ``CS``.
#   - PAGENT.LOG.POLICY.STATEMENT ``Processing: 'STATEMENT name'``: in the workshop the
#     names of all statements sit in one far column whatever the statement's length, so the
#     statement is padded. The width (32) is pagent's guess; the longest AT-TLS statement
#     name has 28 characters.
# * EZD1284I ``... RC: rc action function - data``: the manual (§5.3) prints
#   ``func_or_parm- add_data``; pagent puts a blank before the hyphen as well [UNV].
# * EZD1287I: the three-blank indentation of the continuation lines is taken from the OPERLOG
#   capture (§5.3) and kept in the text; it may be OPERLOG's rendering of any MLWTO rather
#   than part of the message. The OPERLOG capture's leading blank is not part of the text.
# * EZD0101I report lines: the TTLS GROUP report (DISPLAY.NETSTAT.TTLS.*) follows the flattened
#   vendor capture (§4.2), whose columns are self-consistent; a group action name longer than
#   17 characters pushes the row to the right (how NETSTAT wraps it is NOT FOUND). The CONFIG
#   report table (DISPLAY.NETSTAT.CONFIG.TCP_*) is IBM's 2.2 example (§4.3), whose spacing was
#   flattened in the source and is reconstructed; the console upper-cases NETSTAT output, so a
#   console writer upper-cases these lines.
# * Lines never end in blanks: every formatted line is right-stripped, so an empty trailing
#   field (EZD1283I without additional data) leaves no blank behind.
# * MLWTO numbers are printed with at least 3 digits (``007`` in the workshop), 0 to 9999.
#
# NETSTAT TTLS connections (issue 5 §3): §4.2 names the fields of the connection report
# (ConnID, JobName, LocalSocket, SecLevel, Cipher, TTLSRule ...) but its layout was NOT
# retrieved. pagent's lines use those names: DISPLAY.NETSTAT.TTLS.CONN_HEADING,
# DISPLAY.NETSTAT.TTLS.CONN, DISPLAY.NETSTAT.TTLS.CONN_RULE, DISPLAY.NETSTAT.TTLS.CONN_ACTIONS,
# DISPLAY.NETSTAT.TTLS.CONN_SECLEVEL, DISPLAY.NETSTAT.TTLS.CONNID and
# DISPLAY.NETSTAT.TTLS.FIELD (the DETAIL lines).
#
# Fail closed (issue 11, docs/fidelity.md F-180): a connection whose owner cannot be
# established, and which a rule naming a job or user could cover, is reset. z/OS always
# knows a socket's owner, so these lines are pagent's own: PAGENT.LOG.TTLS.REFUSED (the
# syslogd record), its reasons PAGENT.LOG.TTLS.OWNER_GONE and PAGENT.LOG.TTLS.NO_TUPLE, and
# the NETSTAT TTLS count DISPLAY.NETSTAT.TTLS.REFUSED.
#
# RACF (issue 5): RACDCERT, PERMIT, SETROPTS and CONNECT answers, all DISPLAY.RACF.* (the real
# IRRD/IKJ IDs are part of the text). The LISTRING table is the workshop's (§0.1) in the RACF
# manual's columns. Everything else is UNV, written from memory of the RACF Command Language
# Reference and RACF Messages and Codes (docs/fidelity.md, section 10): the LIST layout
# (DISPLAY.RACF.LIST.HEADING_USER, DISPLAY.RACF.LIST.HEADING, DISPLAY.RACF.LIST.NONE,
# DISPLAY.RACF.LIST.LABEL, DISPLAY.RACF.LIST.ID, DISPLAY.RACF.LIST.STATUS,
# DISPLAY.RACF.LIST.START, DISPLAY.RACF.LIST.END, DISPLAY.RACF.LIST.SERIAL,
# DISPLAY.RACF.LIST.ISSUER, DISPLAY.RACF.LIST.SUBJECT, DISPLAY.RACF.LIST.ALTNAMES,
# DISPLAY.RACF.LIST.ALTNAME, DISPLAY.RACF.LIST.KEY_TYPE, DISPLAY.RACF.LIST.KEY_SIZE,
# DISPLAY.RACF.LIST.RINGS, DISPLAY.RACF.LIST.NO_RINGS, DISPLAY.RACF.LIST.RING_OWNER,
# DISPLAY.RACF.LIST.RING), DISPLAY.RACF.LISTRING.EMPTY and DISPLAY.RACF.LISTRING.NONE,
# DISPLAY.RACF.IRRD107I, DISPLAY.RACF.IRRD109I, DISPLAY.RACF.IRRD114I,
# DISPLAY.RACF.IRRD118I, DISPLAY.RACF.IRRD175I, the TSO parse messages DISPLAY.RACF.IKJ56500I,
# DISPLAY.RACF.IKJ56701I, DISPLAY.RACF.IKJ56702I and DISPLAY.RACF.IKJ56712I; pagent's own
# lines without an ID: DISPLAY.RACF.DETAIL (names the object an IRRD message is about),
# DISPLAY.RACF.NO_SIGNING_KEY, DISPLAY.RACF.DATE_RANGE, DISPLAY.RACF.EXPORT_FAILED and
# DISPLAY.RACF.SYNTAX.
#
# Not in the catalogue: the syslogd record header (``Mmm dd hh:mm:ss host tag[pid]: ``, §7.3)
# and the PAGENT log-line decoration (``LEVEL:nnn: ..function:``, §8) are record layouts
# owned by their writers; the z/OS Connect client and Liberty messages of the workshop
# (BAQI0005E, CWWKO0801E) belong to programs pagent does not emulate; the VARY error for an
# omitted procname with several stacks active has no known ID or text (§4.5).

Severity = Literal["I", "W", "E", "A", "D"]
"""The severity letter of a message: its ID's last letter for IDs that have one."""

SEVERITIES: Final[frozenset[str]] = frozenset(get_args(Severity))

TAGS: Final[tuple[str, ...]] = ("DOC", "OBS", "EX", "UNV")
"""The reference's confidence tags (pagent-ops.md §0); a NOT FOUND text chosen here is UNV."""

LOG_NAMESPACE: Final = "PAGENT.LOG."
DISPLAY_NAMESPACE: Final = "DISPLAY."
PASEARCH_NAMESPACE: Final = "PASEARCH."
LOCAL_NAMESPACES: Final[tuple[str, ...]] = (LOG_NAMESPACE, DISPLAY_NAMESPACE, PASEARCH_NAMESPACE)
"""pagent's own IDs for lines that carry no message ID on z/OS (see the module docstring)."""

MAX_NUMBER: Final = 9999
"""The largest MLWTO message number a console shows here."""

_RESERVED: Final = frozenset({"number"})
_FORMATTER: Final = string.Formatter()


class MessageFieldError(TypeError):
    """The fields given to a message do not fit its template (missing, extra or bad value)."""


# One parsed template line: (literal, field name or None, format spec) pieces, or a lines field.
_Piece = tuple[str, str | None, str]


@dataclass(frozen=True, slots=True)
class _Line:
    pieces: tuple[_Piece, ...]
    lines_field: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One catalogue entry: the ID, its text template and where the text comes from.

    ``source`` is the reference's confidence tag (DOC, OBS, EX or UNV) and its section, e.g.
    ``"OBS §0.1"``; a text the reference marks NOT FOUND is ``UNV``. ``fields`` lists the
    template's field names in order of first appearance; ``multiline`` is true when the text
    has more than one line.
    """

    id: str
    text: str
    severity: Severity
    source: str
    multiline: bool
    fields: tuple[str, ...]
    _lines: tuple[_Line, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        lines = _parse(self.id, self.text)
        object.__setattr__(self, "_lines", lines)
        names = _field_names(lines)
        if self.fields != names:
            raise ValueError(f"{self.id}: fields {self.fields} do not match the text's {names}")
        if self.multiline != (len(lines) > 1):
            raise ValueError(f"{self.id}: multiline={self.multiline} does not match the text")
        if self.severity not in SEVERITIES:
            raise ValueError(f"{self.id}: severity {self.severity!r} is not one of I W E A D")
        letter = _id_letter(self.id)
        if letter is not None and self.severity != letter:
            raise ValueError(f"{self.id}: severity {self.severity!r} differs from the ID's letter")
        if self.tag not in TAGS:
            raise ValueError(f"{self.id}: source {self.source!r} does not start with a tag")
        if self.multiline and not self.shows_id:
            # Multi-line display bodies are lines fields of their MLWTO, one entry per line.
            raise ValueError(f"{self.id}: only messages with an ID can span several lines")

    @property
    def shows_id(self) -> bool:
        """Whether the formatted message starts with its ID (false for pagent's own IDs)."""
        return not self.id.startswith(LOCAL_NAMESPACES)

    @property
    def tag(self) -> str:
        """The confidence tag of the text: DOC, OBS, EX or UNV."""
        return self.source.split(" ", 1)[0]

    @property
    def line_fields(self) -> tuple[str, ...]:
        """The fields that take a sequence of whole lines."""
        return tuple(line.lines_field for line in self._lines if line.lines_field is not None)


def _id_letter(msg_id: str) -> str | None:
    """The severity letter an ID carries, or None (pagent's own IDs, $HASP, FSUM)."""
    if msg_id.startswith(LOCAL_NAMESPACES) or not msg_id[-1].isalpha():
        return None
    return msg_id[-1]


def _parse(msg_id: str, text: str) -> tuple[_Line, ...]:
    """Split a template into lines of (literal, field, spec) pieces, checking its fields."""
    result: list[_Line] = []
    seen_lines_fields: set[str] = set()
    for raw in text.split("\n"):
        pieces: list[_Piece] = []
        for literal, name, spec, conversion in _FORMATTER.parse(raw):
            if name is not None:
                if not name.isidentifier() or name in _RESERVED:
                    raise ValueError(f"{msg_id}: field {name!r} must be a plain name")
                if conversion is not None or "{" in (spec or ""):
                    raise ValueError(f"{msg_id}: field {name!r} uses a conversion or nesting")
            pieces.append((literal, name, spec or ""))
        lines_field = None
        whole_line = len(pieces) == 1 and not pieces[0][0] and not pieces[0][2]
        if whole_line and pieces[0][1] and "\n" in text:  # a lines field of a multi-line text
            lines_field = pieces[0][1]
            seen_lines_fields.add(lines_field)
        result.append(_Line(tuple(pieces), lines_field))
    plain = {p[1] for line in result if line.lines_field is None for p in line.pieces}
    if seen_lines_fields & plain:
        raise ValueError(f"{msg_id}: a lines field is also used inside a line")
    return tuple(result)


def _field_names(lines: Sequence[_Line]) -> tuple[str, ...]:
    names: dict[str, None] = {}
    for line in lines:
        for _literal, name, _spec in line.pieces:
            if name is not None:
                names.setdefault(name)
    return tuple(names)


def _message(msg_id: str, text: str, source: str, severity: Severity | None = None) -> Message:
    """A catalogue entry whose severity, multiline flag and fields follow from ID and text."""
    letter = _id_letter(msg_id)
    if severity is None:
        if letter is None and not msg_id.startswith(LOCAL_NAMESPACES):
            raise ValueError(f"{msg_id}: an ID without a severity letter must state one")
        severity = cast(Severity, letter or "I")
    lines = _parse(msg_id, text)
    return Message(msg_id, text, severity, source, len(lines) > 1, _field_names(lines))


_M = _message

_ENTRIES: Final[tuple[Message, ...]] = (
    # --- PAGENT console and log messages (pagent-ops §3) -------------------------------------
    _M("EZZ8431I", "PAGENT STARTING", "DOC §3; OBS §0.1"),
    _M("EZZ8432I", "PAGENT INITIALIZATION COMPLETE", "DOC §3"),
    _M("EZZ8433I", "PAGENT ENDING", "UNV §2.3, §3 (NOT FOUND)"),
    _M("EZZ8434I", "PAGENT EXITING ABNORMALLY", "OBS §3, §2.2"),
    _M("EZZ8438I", "PAGENT POLICY DEFINITIONS CONTAIN ERRORS FOR {image} : {type}", "DOC §3"),
    _M("EZZ8439I", "PAGENT LDAP CONFIGURATION ERROR", "UNV §3 (NOT FOUND)"),
    _M("EZZ8440I", "PAGENT UNABLE TO CONNECT TO LDAP SERVER", "UNV §3 (NOT FOUND)"),
    _M("EZZ8443I", "PAGENT MODIFY COMMAND ACCEPTED", "UNV §2.4 (NOT FOUND)"),
    _M("EZZ8444I", "PAGENT MODIFY COMMAND REJECTED", "UNV §2.4, §3 (NOT FOUND)"),
    _M(
        "EZZ8445I",
        "PAGENT LOGLEVEL {loglevel} DEBUG LEVEL {debug} TRACE LEVEL {trace}",
        "UNV §2.4 (ID and text NOT FOUND)",
    ),
    _M("EZZ8771I", "PAGENT CONFIG POLICY PROCESSING COMPLETE FOR {image} : {type}", "DOC §3"),
    _M("EZZ8773I", "PAGENT POLICIES PURGED FOR {image} : {type}", "DOC §3, §2.3"),
    _M("EZZ8774I", "PAGENT POLICIES NOT PURGED FOR {image} : {type}", "OBS §3, §1.4"),
    _M("EZZ8779I", "PAGENT TCPIMAGE/PEPINSTANCE STATEMENTS CONTAIN ERRORS", "DOC §3"),
    _M(
        "EZZ8780I",
        "PAGENT UNABLE TO CONNECT TO POLICY SERVER FOR {image} : {server_type} AT {host}",
        "UNV §3 (NOT FOUND)",
    ),
    _M(
        "EZZ8782I",
        "PAGENT CONNECTION NO LONGER ACTIVE TO POLICY SERVER FOR {image} : {server_type} AT {host}",
        "DOC §3",
    ),
    _M("EZZ8790I", "PAGENT REMOTE POLICY PROCESSING COMPLETE FOR {image} : {type}", "DOC §3"),
    _M("EZD1579I", "PAGENT POLICIES ARE NOT ENABLED FOR {image} : {type}", "DOC §3; OBS §0.1"),
    _M("EZD1580I", "PAGENT IS RESTARTING {application}", "DOC §3"),
    _M("EZD1586I", "PAGENT HAS INSTALLED ALL LOCAL POLICIES FOR {image}", "OBS §0.1, §2.2"),
    _M("EZD2042I", "TTLS GROUP {group} FAILED FOR {tcpname}", "UNV §3 (text NOT FOUND)"),
    # --- TCP/IP stack: TTLS policy wait (§3, §4.6) -------------------------------------------
    _M("EZZ4248E", "{jobname} WAITING FOR PAGENT TTLS POLICY", "EX §3"),
    _M("EZZ4249I", "{jobname} INSTALLED TTLS POLICY HAS NO RULES", "OBS §3"),
    _M("EZZ4250I", "AT-TLS SERVICES ARE AVAILABLE FOR {tcpname}", "DOC §3"),
    # --- TCP/IP stack: VARY OBEYFILE and SYNTAXCHECK (§0.1, §4.5) ----------------------------
    _M("EZZ0060I", "PROCESSING COMMAND: {command}", "OBS §0.1"),
    _M("EZZ0300I", "OPENED {ftype} FILE {file}", "OBS §0.1, §4.5"),
    _M("EZZ0301I", "UNABLE TO OPEN {ftype} FILE {file}", "UNV §4.5 (ID and text NOT FOUND)"),
    _M("EZZ0309I", "PROFILE PROCESSING BEGINNING FOR {file}", "OBS §0.1, §4.5"),
    _M("EZZ0316I", "PROFILE PROCESSING COMPLETE FOR FILE {file}", "OBS §0.1"),
    _M("EZZ0053I", "COMMAND {command} COMPLETED SUCCESSFULLY", "OBS §0.1"),
    _M("EZZ0050I", "COMMAND {command} FAILED", "EX §4.5"),
    _M("EZZ0061I", "VARY SYNTAXCHECK COMMAND BEGINNING", "DOC §4.5"),
    _M("EZZ0062I", "VARY SYNTAXCHECK FOUND NO ERRORS", "DOC §4.5"),
    _M("EZZ0064I", "VARY SYNTAXCHECK FOUND ERRORS", "UNV §4.5"),
    _M("EZZ0065I", "VARY SYNTAXCHECK COMMAND COMPLETE", "DOC §4.5"),
    _M("EZZ3250I", "THE MODIFY COMMAND IS NOT SUPPORTED.", "DOC §2.1"),
    # --- TCP/IP stack: D TCPIP (§0.1, §4.1) --------------------------------------------------
    _M(
        "EZAOP50I",
        "TCPIP STATUS REPORT\n"
        " COUNT  TCPIP NAME  VERSION   STATUS\n"
        " -----  ----------  --------  --------------------------------\n"
        "{stacks}\n"
        " *** END TCPIP STATUS REPORT ***",
        "OBS §0.1; layout DOC §4.1",
    ),
    _M(
        "DISPLAY.TCPIP.STACK",
        " {count:>4}   {tcpipname:<10}  CS {release:<6} {status}",
        "OBS §0.1; layout DOC §4.1",
    ),
    _M("EZAOP41I", "'DISPLAY TCPIP' COMMAND COMPLETED SUCCESSFULLY", "OBS §0.1"),
    _M("EZAOP60I", "TELNET STATUS REPORT\n{report}", "DOC §4.1 (first line only)"),
    # --- TCP/IP stack: NETSTAT (§4.2, §4.3) --------------------------------------------------
    _M("EZD0101I", "NETSTAT CS {release} {tcpipname}\n{report}", "OBS §4.2"),
    _M("DISPLAY.NETSTAT.TTLS.HEADING", "TTLSGRPACTION     GROUP ID  CONNS", "OBS §4.2"),
    _M("DISPLAY.NETSTAT.TTLS.GROUP", "{group:<17} {groupid:08X}{conns:>7}", "OBS §4.2"),
    # The connection list and CONN detail of NETSTAT TTLS: layout NOT retrieved (§4.2 gives
    # the field names only, [UNV]); pagent's lines use those names (issue 5).
    _M(
        "DISPLAY.NETSTAT.TTLS.CONN_HEADING",
        "CONNID   JOBNAME  USERID   LOCAL SOCKET           FOREIGN SOCKET         STATE",
        "UNV §4.2 (layout NOT FOUND)",
    ),
    _M(
        "DISPLAY.NETSTAT.TTLS.CONN",
        "{connid:08X} {jobname:<8} {userid:<8} {local_socket:<22} {foreign_socket:<22} {state}",
        "UNV §4.2 (layout NOT FOUND)",
    ),
    _M("DISPLAY.NETSTAT.TTLS.CONN_RULE", "  TTLSRULE: {rule}", "UNV §4.2 (field names)"),
    _M(
        "DISPLAY.NETSTAT.TTLS.CONN_ACTIONS",
        "  ACTIONS: {group_action} {environment_action} {connection_action}",
        "UNV §4.2 (field names)",
    ),
    _M(
        "DISPLAY.NETSTAT.TTLS.CONN_SECLEVEL",
        "  SECLEVEL: {seclevel}  CIPHER: {cipher}",
        "UNV §4.2 (field names)",
    ),
    _M("DISPLAY.NETSTAT.TTLS.CONNID", "CONNID: {connid:08X}", "UNV §4.2 (field names)"),
    _M("DISPLAY.NETSTAT.TTLS.FIELD", "  {name:<17}{value}", "UNV §4.2 (field names)"),
    _M(
        "DISPLAY.NETSTAT.TTLS.REFUSED",
        "{refused} CONNECTIONS REFUSED: OWNER UNKNOWN",
        "UNV §4.2 (pagent's own, issue 11)",
    ),
    _M("DISPLAY.NETSTAT.RECORDS", "{shown} OF {total} RECORDS DISPLAYED", "OBS §4.2"),
    _M("DISPLAY.NETSTAT.END", "END OF THE REPORT", "OBS §4.2"),
    _M("DISPLAY.NETSTAT.CONFIG.TCP_HEADING", "TCP Configuration Table:", "DOC §4.3"),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_BUFFERS",
        "DefaultRcvBufSize:  {default_rcv_buf_size:08d}  DefaultSndBufSize: "
        "{default_snd_buf_size:08d}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_MAXBUF",
        "DefltMaxRcvBufSize: {deflt_max_rcv_buf_size:08d}  SoMaxConn:         {so_max_conn:010d}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_RETRANSMIT",
        "MaxReTransmitTime:  {max_retransmit_time:<10.3f}MinReTransmitTime: "
        "{min_retransmit_time:.3f}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_GAIN",
        "RoundTripGain:      {round_trip_gain:<10.3f}VarianceGain:      {variance_gain:.3f}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_VARIANCE",
        "VarianceMultiplier: {variance_multiplier:<10.3f}MaxSegLifeTime:    "
        "{max_seg_life_time:.3f}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_KEEPALIVE",
        "DefaultKeepALive:   {default_keepalive:08d}  DelayAck:          {delay_ack}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_LOWPORT",
        "RestrictLowPort:    {restrict_low_port:<10}SendGarbage:       {send_garbage}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_TIMESTAMP",
        "TcpTimeStamp:       {tcp_timestamp:<10}FinWait2Time:      {fin_wait2_time:03d}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_TTLS",
        "TTLS:               {ttls:<10}EphemeralPorts:    {ephemeral_ports}",
        "DOC §4.3",
    ),
    _M(
        "DISPLAY.NETSTAT.CONFIG.TCP_SACK",
        "SelectiveACK:       {selective_ack:<10}TimeWaitInterval:  {time_wait_interval}",
        "DOC §4.3",
    ),
    _M(
        "EZZ2350I",
        "MVS TCP/IP NETSTAT CS {release:<10} TCPIP Name: {tcpipname:<15} {time}",
        "OBS §4.2",
    ),
    _M("EZZ2550I", "Client Name: {client_name:<24} Client Id: {client_id}", "OBS §4.2"),
    _M(
        "EZZ2551I",
        "Local Socket: {local_socket:<23} Foreign Socket: {foreign_socket}",
        "OBS §4.2",
    ),
    # --- AT-TLS runtime, written by the stack to syslogd or its job log (§0.1, §5.3) ---------
    _M(
        "EZD1281I",
        "TTLS Map   CONNID: {connid:08X} LOCAL: {local_ip}..{local_port}"
        " REMOTE: {remote_ip}..{remote_port} JOBNAME: {jobname} USERID: {userid}"
        " TYPE: {type} STATUS: {status} RULE: {rule}"
        " ACTIONS: {group_action} {environment_action} {connection_action}",
        "OBS §0.1; spacing DOC §5.3",
    ),
    _M(
        "EZD1282I",
        "TTLS Start GRPID: {grpid:08X} ENVID: {envid:08X} CONNID: {connid:08X} {event}"
        " ACTIONS: {group_action} {environment_action} {connection_action} {data}",
        "DOC §5.3",
    ),
    _M(
        "EZD1283I",
        "TTLS Event GRPID: {grpid:08X} ENVID: {envid:08X} CONNID: {connid:08X}"
        " RC: {rc:>4} {event} {data}",
        "OBS §0.1; spacing DOC §5.3",
    ),
    _M(
        "EZD1284I",
        "TTLS Flow  GRPID: {grpid:08X} ENVID: {envid:08X} CONNID: {connid:08X}"
        " RC: {rc:>4} {action} {function} - {data}",
        "DOC §5.3",
    ),
    _M(
        "EZD1285I",
        "TTLS Data  GRPID: {grpid:08X} ENVID: {envid:08X} CONNID: {connid:08X}"
        " RC: {rc:>4} {event} {data}",
        "UNV §5.3 (layout NOT FOUND)",
    ),
    _M(
        "EZD1286I",
        "TTLS Error GRPID: {grpid:08X} ENVID: {envid:08X} CONNID: {connid:08X}"
        " LOCAL: {local_ip}..{local_port} REMOTE: {remote_ip}..{remote_port}"
        " JOBNAME: {jobname} USERID: {userid} RULE: {rule} RC: {rc:>4} {event}",
        "DOC §5.3",
    ),
    _M(
        "EZD1287I",
        "TTLS Error RC: {rc:>4} {event}\n"
        "   LOCAL: {local_ip}..{local_port}\n"
        "   REMOTE: {remote_ip}..{remote_port}\n"
        "   JOBNAME: {jobname} RULE: {rule}\n"
        "   USERID: {userid} GRPID: {grpid:08X} ENVID: {envid:08X} CONNID: {connid:08X}",
        "OBS §5.3",
    ),
    # pagent's own: a connection reset because its owner, on which a rule depends, is unknown
    # (issue 11, fail closed). z/OS always knows a socket's owner and has no such message.
    _M(
        "PAGENT.LOG.TTLS.REFUSED",
        "TTLS Refused CONNID: {connid:08X} LOCAL: {local_ip}..{local_port}"
        " REMOTE: {remote_ip}..{remote_port} TYPE: {type} RULE: {rule}"
        " REASON: {reason}; reset, as the rule names a job or user",
        "UNV §5.3 (NOT FOUND: pagent's own, issue 11)",
        "E",
    ),
    _M(
        "PAGENT.LOG.TTLS.OWNER_GONE",
        "no process of the image holds {socket} (it ended or closed it before the stack looked)",
        "UNV §5.3 (NOT FOUND: pagent's own, issue 11)",
    ),
    _M(
        "PAGENT.LOG.TTLS.NO_TUPLE",
        "conntrack gave no original addresses for it ({error})",
        "UNV §5.3 (NOT FOUND: pagent's own, issue 11)",
    ),
    # --- MVS (§2.1, §1.3, §7.3) --------------------------------------------------------------
    _M("IEE305I", "{verb:<8} COMMAND INVALID", "OBS §2.1"),
    _M("IEE341I", "{jobname} NOT ACTIVE", "OBS §2.1, §2.3"),
    _M("IEE342I", "{verb:<8} REJECTED-TASK BUSY", "OBS §2.1"),
    _M("IEE535I", "{verb} INVALID PARAMETER", "OBS §2.1"),
    _M("$HASP100", "{jobname:<8} ON STCINRDR", "OBS §2.1", "I"),
    _M("$HASP373", "{jobname:<8} STARTED", "OBS §2.1", "I"),
    _M("$HASP395", "{jobname:<8} ENDED - RC={rc:04d}", "UNV §2.1", "I"),
    _M(
        "IEF403I",
        "{jobname} - STARTED - TIME={time} - ASID={asid:04X} - {sysname}",
        "OBS §2.1",
    ),
    _M(
        "IEF404I",
        "{jobname} - ENDED - TIME={time} - ASID={asid:04X} - {sysname}",
        "UNV §2.1",
    ),
    _M(
        "IEF695I",
        "START {member:<8} WITH JOBNAME {jobname:<8} IS ASSIGNED TO USER {userid:<8}"
        ", GROUP {group}",
        "UNV §2.1",
    ),
    _M("IGD104I", "{dsname:<44} RETAINED,  DDNAME={ddname}", "UNV §1.3"),
    _M("BPXF024I", "({userid}) {text}", "OBS §7.3"),
    # --- syslogd MODIFY responses (§7.1) -----------------------------------------------------
    _M("FSUM1252", "SYSLOGD RECONFIGURATION COMPLETE", "DOC §7.1", "I"),
    _M(
        "FSUM1253",
        "SYSLOGD MODIFY COMMAND UNSUCCESSFUL - SYNTAX ERROR, UNKNOWN KEYWORD",
        "DOC §7.1",
        "E",
    ),
    _M("FSUM1254", "SYSLOGD MODIFY COMMAND ACCEPTED", "DOC §7.1", "I"),
    _M(
        "FSUM1256",
        "SYSLOGD MODIFY COMMAND UNSUCCESSFUL - {activity} ALREADY IN PROGRESS",
        "UNV §7.1 (text NOT FOUND)",
        "W",
    ),
    # --- RACF: RACDCERT, PERMIT, SETROPTS (issue 5) ------------------------------------------
    # RACF and TSO message IDs (IRRD..., IKJ...) are not z/OS communications-server IDs, so
    # they sit in the DISPLAY.RACF namespace with the real ID as part of their text; the layouts
    # are RACF's (Command Language Reference) as far as known, §0.1 shows the LISTRING table.
    _M("DISPLAY.RACF.LISTRING.HEADING", "Digital ring information for user {user}:", "OBS §0.1"),
    _M("DISPLAY.RACF.LISTRING.RING", "  Ring:", "OBS §0.1"),
    _M("DISPLAY.RACF.VALUE", "       >{value}<", "OBS §0.1"),
    _M(
        "DISPLAY.RACF.LISTRING.COLUMNS",
        "  Certificate Label Name             Cert Owner     USAGE      DEFAULT",
        "OBS §0.1",
    ),
    _M(
        "DISPLAY.RACF.LISTRING.DASHES",
        "  --------------------------------   ------------   --------   -------",
        "OBS §0.1",
    ),
    _M(
        "DISPLAY.RACF.LISTRING.ROW",
        "  {label:<32}   {owner:<12}   {usage:<8}     {default}",
        "OBS §0.1",
    ),
    _M("DISPLAY.RACF.LISTRING.EMPTY", "  *** No certificates connected ***", "UNV §0.1"),
    _M("DISPLAY.RACF.LISTRING.NONE", "No rings found for user {user}.", "UNV §0.1"),
    _M(
        "DISPLAY.RACF.LIST.HEADING_USER",
        "Digital certificate information for user {user}:",
        "UNV §0.1",
    ),
    _M("DISPLAY.RACF.LIST.HEADING", "Digital certificate information for {owner}:", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.NONE", "  *** No certificates found ***", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.LABEL", "  Label: {label}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.ID", "  Certificate ID: {certid}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.STATUS", "  Status: {status}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.START", "  Start Date: {date}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.END", "  End Date:   {date}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.SERIAL", "  Serial Number:", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.ISSUER", "  Issuer's Name:", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.SUBJECT", "  Subject's Name:", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.ALTNAMES", "  Subject Alternate Names:", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.ALTNAME", "       {kind}: {value}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.KEY_TYPE", "  Private Key Type: {type}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.KEY_SIZE", "  Private Key Size: {size}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.RINGS", "  Ring Associations:", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.NO_RINGS", "    *** No rings associated ***", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.RING_OWNER", "    Ring Owner: {owner}", "UNV §0.1"),
    _M("DISPLAY.RACF.LIST.RING", "    Ring:", "UNV §0.1"),
    _M("DISPLAY.RACF.DETAIL", "  ({detail})", "UNV §0.1"),
    _M("DISPLAY.RACF.IRRD107I", "IRRD107I The certificate cannot be found.", "UNV §0.1"),
    _M(
        "DISPLAY.RACF.IRRD109I",
        "IRRD109I The certificate cannot be added. Label {label} is already in use.",
        "UNV §0.1",
    ),
    _M("DISPLAY.RACF.IRRD114I", "IRRD114I Ring does not exist.", "UNV §0.1"),
    _M("DISPLAY.RACF.IRRD118I", "IRRD118I Ring already exists.", "UNV §0.1"),
    _M(
        "DISPLAY.RACF.IRRD175I",
        "IRRD175I The new profile for DIGTCERT will not be in effect until a SETROPTS REFRESH "
        "has been issued.",
        "UNV §0.1",
    ),
    _M(
        "DISPLAY.RACF.NO_SIGNING_KEY",
        "The signing certificate {label} has no private key; the certificate is not created.",
        "UNV §0.1",
    ),
    _M(
        "DISPLAY.RACF.DATE_RANGE",
        "NOTAFTER {notafter} is not after NOTBEFORE {notbefore}.",
        "UNV §0.1",
    ),
    _M("DISPLAY.RACF.EXPORT_FAILED", "Data set {dsn} cannot be written: {reason}", "UNV §0.1"),
    _M("DISPLAY.RACF.SYNTAX", "Command syntax error: {detail}", "UNV §0.1"),
    _M("DISPLAY.RACF.IKJ56500I", "IKJ56500I COMMAND {command} NOT FOUND", "UNV §0.1"),
    _M("DISPLAY.RACF.IKJ56701I", "IKJ56701I MISSING {what}", "UNV §0.1"),
    _M("DISPLAY.RACF.IKJ56702I", "IKJ56702I INVALID {what}, {value}", "UNV §0.1"),
    _M("DISPLAY.RACF.IKJ56712I", "IKJ56712I INVALID KEYWORD, {keyword}", "UNV §0.1"),
    # --- pasearch (§6.1) ---------------------------------------------------------------------
    _M("PASEARCH.NO_POLICIES", "No policies retrieved", "DOC §6.1"),
    # --- PAGENT log-only lines (§0.1, §1.2, §1.5, §8); the function prefix is part of the text
    _M("PAGENT.LOG.MAIN.COMPILED", "main: Compiled on {date} at {time}", "OBS §0.1"),
    _M(
        "PAGENT.LOG.MAIN.USE_ENVIRONMENT",
        "main: Use environment {variable} = '{value}'",
        "OBS §0.1",
    ),
    _M("PAGENT.LOG.MAIN.LIST_ENVIRONMENT", "main: List all environment variables:", "OBS §0.1"),
    _M("PAGENT.LOG.MAIN.EXPORT", "main: EXPORT '{variable}={value}'", "OBS §0.1"),
    _M("PAGENT.LOG.MAIN.CODE_PAGE", "main: using code page '{codepage}'", "OBS §0.1"),
    _M("PAGENT.LOG.MAIN.LOG_LEVEL", "main: Using log level {level}", "OBS §0.1"),
    _M(
        "PAGENT.LOG.MAIN.ALREADY_ACTIVE",
        "main: Can not run more than one copy of pagent",
        "UNV §1.5 (paraphrase only)",
        "E",
    ),
    _M(
        "PAGENT.LOG.PROFILE.TTLS_BEGIN",
        "_profile: Processing Image TTLS config file: '{path}'",
        "OBS §0.1",
    ),
    _M(
        "PAGENT.LOG.PROFILE.TTLS_END",
        "_profile: Finished processing Image TTLS config file",
        "OBS §0.1",
    ),
    _M(
        "PAGENT.LOG.PROFILE.NO_STATEMENTS",
        "pinit_fetch_policy_profile: Image config file {path}"
        " does not contain any recognizable statements",
        "DOC §1.2",
        "W",
    ),
    _M(
        "PAGENT.LOG.POLICY.STATEMENT",
        "Processing: '{statement:<32} {name}'",
        "OBS §0.1; padding UNV",
    ),
    _M(
        "PAGENT.LOG.TTLS.GROUP_ACTION",
        "Processing TTLS Group action '{name}'",
        "OBS §0.1",
    ),
    _M(
        "PAGENT.LOG.TTLS.CONNECTION_ACTION",
        "Processing TTLS Connection action '{name}'",
        "OBS §0.1",
    ),
    _M(
        "PAGENT.LOG.TTLS.ENVIRONMENT_ACTION",
        "Processing TTLS Environment action '{name}'",
        "OBS §0.1",
    ),
    _M("PAGENT.LOG.TTLS.RULE", "Processing TTLS rule '{name}'", "OBS §0.1"),
    _M("PAGENT.LOG.MAIN_CONFIG_UPDATED", "Finished main config file update", "OBS §0.1"),
    _M(
        "PAGENT.LOG.SOCKET_OPEN_FAILED",
        "socket could not open with errno= {errno_text}., errno2={errno2}",
        "DOC §1.5",
        "E",
    ),
    # pagent's own log lines for a refresh: PAGENT's wording is unknown (issue 3 asks that an
    # edit leaving the policy equal "installs nothing new and says so").
    _M(
        "PAGENT.LOG.TTLS.UNCHANGED",
        "_profile: TTLS policy for {image} is unchanged; nothing installed",
        "UNV §3, issue 3",
    ),
    _M(
        "PAGENT.LOG.TTLS.CHANGES",
        "_profile: TTLS policy for {image}: {added} added, {changed} changed, {removed} removed",
        "UNV §3, issue 3",
    ),
    _M(
        "PAGENT.LOG.TTLS.NO_RULES",
        "_profile: TTLS policy for {image} has no rules in {files}: every AT-TLS rule of"
        " {image} is removed",
        "UNV issue 13 §10",
        "W",
    ),
    _M("PAGENT.LOG.POLICY.ERROR", "_profile: {text}", "UNV §3 EZZ8438I"),
    _M("PAGENT.LOG.POLICY.KEPT", "_profile: TTLS policy for {image} stays as installed", "UNV §3"),
)


def _build(entries: Sequence[Message]) -> Mapping[str, Message]:
    catalogue: dict[str, Message] = {}
    for message in entries:
        if message.id in catalogue:
            raise ValueError(f"message ID {message.id} is defined twice")
        catalogue[message.id] = message
    return MappingProxyType(catalogue)


CATALOGUE: Final[Mapping[str, Message]] = _build(_ENTRIES)
"""Every message pagent can show, by ID (read-only)."""


def get_message(msg_id: str) -> Message:
    """The catalogue entry of ``msg_id``; KeyError names an unknown ID."""
    try:
        return CATALOGUE[msg_id]
    except KeyError:
        raise KeyError(f"unknown message ID {msg_id!r}") from None


def format_lines(msg_id: str, /, *, number: int | None = None, **fields: object) -> list[str]:
    """The lines of a message, the first starting with its ID.

    ``number`` is the console's rolling MLWTO number, appended to the first line of a
    multi-line message (``EZAOP50I TCPIP STATUS REPORT 007``); leave it out for syslogd and
    log records. A lines field takes a sequence of already formatted lines.
    """
    return _format(get_message(msg_id), number, fields)


def format_message(msg_id: str, /, **fields: object) -> str:
    """The message with its ID first; a multi-line message's lines are joined by newlines."""
    return "\n".join(_format(get_message(msg_id), None, fields))


def formatter(msg_id: str, /) -> Callable[..., str]:
    """A function that formats one single-line message as :func:`format_message` does,
    for a message written many times over (PAGENT's per-statement log lines, issue 13 §1).

    It fills the template with ``str.format``; when the fields are not exactly the
    template's, or a value would break the line, it hands over to :func:`format_message`,
    which says what is wrong. The result is always what :func:`format_message` gives.
    """
    message = get_message(msg_id)
    if message.multiline:
        raise ValueError(f"{msg_id}: a formatter is for single-line messages")
    template = message.text
    if message.shows_id:
        template = f"{message.id} {template}"
    names = frozenset(message.fields)

    def fast(**fields: object) -> str:
        if fields.keys() != names or any(isinstance(v, bool) for v in fields.values()):
            return format_message(msg_id, **fields)
        text = template.format(**fields)
        if "\n" in text or "\r" in text:
            return format_message(msg_id, **fields)
        return text.rstrip()

    return fast


def format_text(msg_id: str, /, **fields: object) -> str:
    """The message text without its ID (for example for TSO NETSTAT without MSGID)."""
    return "\n".join(_render(get_message(msg_id), fields))


def _format(message: Message, number: int | None, fields: Mapping[str, object]) -> list[str]:
    """The message's lines with its ID first and, if given, the MLWTO number appended."""
    if number is not None:
        if not message.multiline:
            raise ValueError(f"{message.id} is a single-line message; only MLWTOs carry a number")
        if isinstance(number, bool) or not isinstance(number, int):
            raise TypeError(f"{message.id}: the message number must be an int, not {number!r}")
        if not 0 <= number <= MAX_NUMBER:
            raise ValueError(f"{message.id}: message number {number} is not in 0..{MAX_NUMBER}")
    lines = _render(message, fields)
    if message.shows_id:
        lines[0] = f"{message.id} {lines[0]}".rstrip()
    if number is not None:
        lines[0] = f"{lines[0]} {number:03d}"
    return lines


def _render(message: Message, fields: Mapping[str, object]) -> list[str]:
    """Fill the template, checking that ``fields`` are exactly the template's fields."""
    missing = [name for name in message.fields if name not in fields]
    extra = sorted(name for name in fields if name not in message.fields)
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing field(s) {', '.join(missing)}")
        if extra:
            parts.append(f"unexpected field(s) {', '.join(extra)}")
        expected = ", ".join(message.fields) or "none"
        raise MessageFieldError(f"{message.id}: {'; '.join(parts)} (fields: {expected})")
    out: list[str] = []
    for line in message._lines:
        if line.lines_field is not None:
            out.extend(_lines_value(message.id, line.lines_field, fields[line.lines_field]))
            continue
        text: list[str] = []
        for literal, name, spec in line.pieces:
            text.append(literal)
            if name is not None:
                text.append(_format_value(message.id, name, fields[name], spec))
        out.append("".join(text).rstrip())
    return out


def _format_value(msg_id: str, name: str, value: object, spec: str) -> str:
    if isinstance(value, bool) and spec:
        raise MessageFieldError(f"{msg_id}: field {name!r} takes no bool (format {spec!r})")
    try:
        text = format(value, spec)
    except (TypeError, ValueError) as error:
        raise MessageFieldError(
            f"{msg_id}: field {name!r} = {value!r} does not fit format {spec!r} ({error})"
        ) from None
    if "\n" in text or "\r" in text:
        raise MessageFieldError(f"{msg_id}: field {name!r} must not contain a line break")
    return text


def _lines_value(msg_id: str, name: str, value: object) -> list[str]:
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise MessageFieldError(f"{msg_id}: field {name!r} takes a sequence of lines")
    lines: list[str] = []
    for item in value:
        if not isinstance(item, str) or "\n" in item or "\r" in item:
            raise MessageFieldError(f"{msg_id}: each line of {name!r} must be a one-line str")
        lines.append(item.rstrip())
    return lines
