"""Parse CRM deal exports (Salesforce, HubSpot, Bitrix24/amoCRM, any mapped CSV) into clean rows.

Decisions callers rely on: a deal ID seen twice keeps the later line and warns, as a re-import would;
an empty deal name falls back to the ID; negative amounts are row errors; dates that could be read
either way are resolved per column, never per value.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

log = logging.getLogger(__name__)

Outcome = Literal["won", "lost", "open"]
MAX_CENTS = 2**63 - 1  # what a BIGINT column holds


@dataclass(frozen=True)
class DealField:
    """A deal attribute a CSV column can be mapped to, with its label for the mapping form."""

    name: str
    label: str
    required: bool = False


FIELDS: tuple[DealField, ...] = (
    DealField("external_id", "Deal ID", required=True),
    DealField("name", "Deal name", required=True),
    DealField("account", "Account / company"),
    DealField("amount", "Amount"),
    DealField("currency", "Currency"),
    DealField("stage", "Stage"),
    DealField("won", "Won (yes/no)"),
    DealField("closed", "Closed (yes/no)"),
    DealField("close_on", "Close date"),
    DealField("created_on", "Created date"),
    DealField("owner", "Owner (email or name)"),
    DealField("contacts", "Contacts' emails"),
)
_FIELD_NAMES = tuple(f.name for f in FIELDS)
REQUIRED_FIELDS = tuple(f.name for f in FIELDS if f.required)


@dataclass(frozen=True)
class DealRow:
    """One valid deal; line is the physical line where its record starts (header = 1); amount in cents."""

    line: int
    external_id: str
    name: str
    account: str | None
    amount_cents: int | None
    currency: str | None
    stage: str | None
    outcome: Outcome
    close_on: date | None
    created_on: date | None
    owner: str | None
    contacts: tuple[tuple[str, str | None], ...] = ()  # (email in lower case, name) of the account's contacts


@dataclass(frozen=True)
class RowError:
    """A problem with one record, at the physical line where it starts."""

    line: int
    reason: str


@dataclass
class ParseResult:
    """Everything parsed from one file; problem is set when the file as a whole cannot be imported."""

    format: str
    headers: list[str]
    mapping: dict[str, str]
    rows: list[DealRow]
    errors: list[RowError]
    encoding: str
    delimiter: str
    problem: str | None
    # Not fatal: e.g. a deal ID that appears twice, where the later line replaces the earlier one.
    warnings: list[RowError] = field(default_factory=list)


# Header aliases per format, compared after _norm_header (lowercase, letters and digits only).
# Earlier aliases win when a file has several candidates for one field.
_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "salesforce": {
        "external_id": ("Opportunity ID", "Opportunity 18 Digit ID", "Id"),
        "name": ("Opportunity Name", "Name"),
        "account": ("Account Name", "Account"),
        "amount": ("Amount",),
        "currency": ("Opportunity Currency", "Amount Currency", "Currency", "CurrencyIsoCode"),
        "stage": ("Stage", "Stage Name"),
        "won": ("Won", "IsWon"),
        "closed": ("Closed", "IsClosed"),
        "close_on": ("Close Date",),
        "created_on": ("Created Date",),
        "owner": ("Owner Email", "Opportunity Owner Email", "Opportunity Owner", "Owner", "Owner Name"),
        "contacts": ("Contact Email", "Primary Contact Email", "Contact: Email", "Contact Emails"),
    },
    "hubspot": {
        "external_id": ("Record ID", "Deal ID", "hs_object_id"),
        "name": ("Deal Name", "dealname"),
        "account": ("Associated Company", "Associated Company (Primary)", "Company name", "Company"),
        "amount": ("Amount",),
        "currency": ("Currency", "Deal currency code"),
        "stage": ("Deal Stage", "dealstage"),
        "won": ("Is Closed Won", "hs_is_closed_won"),
        "closed": ("Is Deal Closed?", "Is Closed", "hs_is_closed"),
        "close_on": ("Close Date", "closedate"),
        "created_on": ("Create Date", "createdate"),
        "owner": ("Deal owner", "hubspot_owner_id"),
        "contacts": ("Associated Contact", "Associated Contacts", "Associated Contact Email", "Contact email"),
    },
    # Bitrix24 and amoCRM exports with Russian column names.
    "russian": {
        "external_id": ("ID", "ID сделки", "Номер", "Номер сделки", "Ид"),
        "name": ("Название сделки", "Сделка", "Название"),
        "account": ("Компания", "Клиент", "Контрагент", "Основной контакт"),
        "amount": ("Сумма", "Бюджет", "Сумма сделки"),
        "currency": ("Валюта",),
        "stage": ("Стадия", "Стадия сделки", "Этап", "Этап сделки", "Статус"),
        "closed": ("Сделка закрыта", "Закрыта"),
        "close_on": ("Дата закрытия", "Предполагаемая дата закрытия"),
        "created_on": ("Дата создания",),
        "owner": ("Ответственный", "Ответственный за сделку"),
        "contacts": ("E-mail контакта", "Email контакта", "Контакт: E-mail", "Рабочий e-mail", "E-mail"),
    },
}
_GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "external_id": ("External ID", "Deal Number", "Reference"),
    "name": ("Deal", "Title", "Opportunity"),
    "amount": ("Value", "Deal Value", "Deal Amount", "Revenue"),
    "stage": ("Status", "Pipeline Stage"),
    "close_on": ("Closed Date", "Won Date", "Close"),
    "created_on": ("Created", "Created At", "Date Created"),
    "owner": ("Sales Rep", "Rep", "Salesperson", "Assigned To"),
    "contacts": ("Contact Email", "Contact Emails", "Contacts", "Emails", "Email"),
}
# Month-first for US-made CRMs, day-first for Russian ones: what their exports write.
_DAY_FIRST_DEFAULT = {"salesforce": False, "hubspot": False, "russian": True}
FORMATS = ("salesforce", "hubspot", "russian", "custom")

_WON_STAGES = {"closedwon", "won", "успешнореализовано", "сделкауспешна", "успешно", "выиграна", "выиграно"}
_LOST_STAGES = {
    "closedlost", "lost", "lose", "сделкапровалена", "закрытоинереализовано",
    "проиграна", "проиграно", "провалена",
}  # fmt: skip
_TRUE = {"true", "1", "yes", "y", "x", "да", "д", "истина"}
_FALSE = {"false", "0", "no", "n", "нет", "н", "ложь"}

_CURRENCY_SYMBOLS = {"$": "USD", "€": "EUR", "£": "GBP", "₽": "RUB", "₸": "KZT", "₴": "UAH", "¥": "JPY"}
_CURRENCY_WORDS = {
    "руб": "RUB", "рубль": "RUB", "рублей": "RUB", "р": "RUB", "российскийрубль": "RUB",
    "доллар": "USD", "долларсша": "USD", "евро": "EUR", "тенге": "KZT", "грн": "UAH",
}  # fmt: skip
_SPACES = re.compile(r"[\s\u00a0\u202f\u2009\u2007'\u2019]+")
_AMOUNT = re.compile(r"(\D*?)(\d(?:[\d.,]*\d)?)(\D*)")  # currency or sign, number, currency
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T\s].*)?$")
_PARTS_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?:[,\sT].*)?$")


def _norm_header(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _match(headers: Sequence[str], aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    by_norm: dict[str, str] = {}
    for header in headers:
        by_norm.setdefault(_norm_header(header), header)
    found: dict[str, str] = {}
    for name, names in aliases.items():
        for alias in names:
            match = by_norm.get(_norm_header(alias))
            if match is not None and match not in found.values():
                found[name] = match
                break
    return found


def guess_mapping(headers: Sequence[str]) -> dict[str, str]:
    """Best guess of field name -> header for the mapping form; fields with no likely column are left out."""
    guess: dict[str, str] = {}
    for aliases in [*_ALIASES.values(), _GENERIC_ALIASES]:
        for name, header in _match(headers, aliases).items():
            if name not in guess and header not in guess.values():
                guess[name] = header
    return {name: guess[name] for name in _FIELD_NAMES if name in guess}


def _detect_format(headers: Sequence[str]) -> tuple[str, dict[str, str]] | None:
    best: tuple[int, str, dict[str, str]] | None = None
    for fmt, aliases in _ALIASES.items():
        found = _match(headers, aliases)
        if all(r in found for r in REQUIRED_FIELDS) and (best is None or len(found) > best[0]):
            best = (len(found), fmt, found)
    return (best[1], best[2]) if best else None


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # Excel's "Unicode text" export: UTF-16 with a BOM, usually tab-separated.
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        lenient = data.decode("utf-8-sig", errors="replace")
        non_ascii = sum(1 for b in data if b > 0x7F)
        # A UTF-8 file with a stray bad byte stays UTF-8; Cyrillic cp1251 text fails on nearly every letter.
        if lenient.count("\ufffd") * 4 < non_ascii:
            return lenient, "utf-8"
        return data.decode("cp1251", errors="replace"), "cp1251"
    return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def _unreadable(data: bytes, text: str) -> str | None:
    if not text.strip():
        return "The file is empty. Export the deals from your CRM as CSV and upload that file."
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return (
            "This is an Excel workbook, not CSV. Save it as CSV (File > Save As > CSV UTF-8), then upload it."
        )
    sample = text[:65536]
    controls = sum(1 for ch in sample if (ch < " " and ch not in "\t\r\n") or ch in "\x7f\ufffd")
    if "\x00" in sample or controls > max(2, len(sample) // 100):
        return (
            "This file is not readable CSV text. Export the deals from your CRM as CSV and upload that file."
        )
    return None


def _sniff_delimiter(text: str) -> str:
    lines = text.lstrip("\r\n").splitlines()
    counts = dict.fromkeys((",", ";", "\t"), 0)
    in_quotes = False
    for ch in lines[0] if lines else "":
        in_quotes = not in_quotes if ch == '"' else in_quotes
        if not in_quotes and ch in counts:
            counts[ch] += 1
    top = max(counts.values())
    tied = "".join(d for d, n in counts.items() if n == top)
    if len(tied) == 1:
        return tied
    # Sniffer alone is not trusted: on one line it prefers "," whenever "," appears, as in "Сумма, руб.;Этап".
    try:
        return csv.Sniffer().sniff("\n".join(lines[:20]), delimiters=tied).delimiter
    except csv.Error:
        return ","


def _records(text: str, delimiter: str) -> Iterator[tuple[int, list[str] | None, str | None]]:
    """Yield (start line, fields, csv error) per record; line numbers count quoted newlines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, str(exc)
            if reader.line_num < start:
                return
            continue
        yield start, fields, None


def _clean(value: str) -> str:
    return value.strip().strip("\ufeff").strip()


def _show(raw: str) -> str:
    return raw if len(raw) <= 40 else raw[:40] + "…"


def _currency_of(text: str) -> str | None:
    for symbol, code in _CURRENCY_SYMBOLS.items():
        if symbol in text:
            return code
    letters = re.sub(r"[^A-Za-zА-Яа-яЁё]", "", text)
    if letters.lower() in _CURRENCY_WORDS:
        return _CURRENCY_WORDS[letters.lower()]
    if re.fullmatch(r"[A-Za-z]{3}", letters):
        return letters.upper()
    return None


def _own_decimal_mark(number: str) -> str | None:
    """The decimal mark a digits-and-marks string shows by itself, or None when it could be either."""
    marks = [ch for ch in number if ch in ",."]
    if not marks:
        return None
    last = marks[-1]
    if len(set(marks)) == 2:
        return last
    if len(marks) > 1:
        return "." if last == "," else ","
    whole, _, tail = number.partition(last)
    # One mark before exactly three digits ("12,000", "€1.200") groups thousands, except after a lone 0.
    return last if len(tail) != 3 or whole == "0" else None


def _decimal_mark(values: Sequence[str]) -> str | None:
    """The decimal mark of an amount column, by majority of the values that show it unambiguously."""
    votes = {",": 0, ".": 0}
    for value in values:
        parts = _AMOUNT.fullmatch(_SPACES.sub("", value))
        mark = _own_decimal_mark(parts.group(2)) if parts else None
        if mark:
            votes[mark] += 1
    if votes[","] == votes["."]:
        return None
    return "," if votes[","] > votes["."] else "."


def parse_amount(text: str, decimal_mark: str | None = None) -> tuple[int | None, str | None]:
    """Amount text ('1 250 000,50', '$12,000', '12000 руб.') -> (cents, ISO currency); raises ValueError."""
    raw = text.strip()
    if not raw:
        return None, None
    not_a_number = ValueError(f"Amount '{_show(raw)}' is not a number.")
    m = _AMOUNT.fullmatch(_SPACES.sub("", raw))
    if not m:
        raise not_a_number
    prefix, number, suffix = m.groups()
    if re.search(r"[-\u2212(]", prefix):
        raise ValueError(f"Amount '{_show(raw)}' is negative; deal amounts must be 0 or more.")
    currency = _currency_of(raw)
    if re.sub(r"[+.]", "", prefix + suffix) and currency is None:
        raise not_a_number
    mark = _own_decimal_mark(number)
    if mark is None and number.count(",") + number.count(".") == 1:
        mark = decimal_mark if decimal_mark and decimal_mark in number else None
    whole, _, frac = number.rpartition(mark) if mark and mark in number else (number, "", "")
    groups = re.split(r"[.,]", whole)
    if len(groups) > 1 and (not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:])):
        raise not_a_number
    if len("".join(groups)) > 17:
        raise ValueError(f"Amount '{_show(raw)}' is too large.")
    cents = int((Decimal("".join(groups) + "." + (frac or "0")) * 100).quantize(Decimal(1), ROUND_HALF_UP))
    if cents > MAX_CENTS:
        raise ValueError(f"Amount '{_show(raw)}' is too large.")
    return cents, currency


def _day_first(values: Sequence[str], default: bool | None) -> bool:
    """Whether a date column puts the day first: a first part > 12 says yes, a second part > 12 says no."""
    dots = slashes = 0
    for value in values:
        m = _PARTS_DATE.match(value.strip())
        if not m:
            continue
        first, second = int(m.group(1)), int(m.group(3))
        if first > 12 >= second:
            return True
        if second > 12 >= first:
            return False
        dots += m.group(2) == "."
        slashes += m.group(2) == "/"
    if dots > slashes:
        return True  # every locale that writes 01.02.2024 means the 1st of February
    # An unknown export with slashes gets the US order, which is what US-made CRMs write.
    return bool(default)


def parse_date(text: str, day_first: bool) -> date | None:
    """Date text (ISO, 03/31/2024, 3/31/24, 31.03.2024; any time is ignored) -> date; raises ValueError."""
    raw = text.strip()
    if not raw:
        return None
    try:
        if m := _ISO_DATE.match(raw):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _PARTS_DATE.match(raw):
            a, b, year = int(m.group(1)), int(m.group(3)), int(m.group(4))
            if len(m.group(4)) == 2:
                year += 2000 if year < 69 else 1900  # the pivot strptime's %y uses
            day, month = (a, b) if day_first else (b, a)
            return date(year, month, day)
    except ValueError:
        pass
    raise ValueError(f"'{_show(raw)}' is not a date we can read; use 2024-03-31, 03/31/2024 or 31.03.2024")


def _parse_bool(text: str) -> bool | None:
    value = text.strip().lower()
    return True if value in _TRUE else False if value in _FALSE else None


def _outcome(stage: str | None, won: bool | None, closed: bool | None) -> Outcome:
    """Explicit won/closed flags (Salesforce IsWon/IsClosed, HubSpot, Bitrix) decide; else the stage name."""
    stage_key = _norm_header(stage or "")
    if won:
        return "won"
    if won is False and closed:
        return "lost"
    if closed is False:
        return "open"
    if stage_key in _WON_STAGES and won is not False:
        return "won"
    if stage_key in _LOST_STAGES or closed:
        return "lost"
    return "open"


def _check_mapping(headers: Sequence[str], mapping: dict[str, str]) -> str | None:
    unknown = [name for name in mapping if name not in _FIELD_NAMES]
    if unknown:
        return f"Unknown deal field(s) in the column mapping: {', '.join(unknown)}."
    absent = [h for h in mapping.values() if h not in headers]
    if absent:
        return (
            f"Column(s) {', '.join(repr(h) for h in absent)} are not in this file; choose the columns again."
        )
    labels = {f.name: f.label for f in FIELDS}
    missing = [labels[name] for name in REQUIRED_FIELDS if name not in mapping]
    if missing:
        return f"Choose the column that holds {' and '.join(missing)}."
    return None


def _resolve_columns(
    headers: list[str], fmt: str, mapping: dict[str, str] | None
) -> tuple[str, dict[str, str], str | None]:
    """(format, field -> header, whole-file problem) from the requested format or the user's mapping."""
    fmt_out = "custom" if fmt == "auto" else fmt
    if mapping:
        chosen = {name: header for name, header in mapping.items() if header}
        return fmt_out, chosen, _check_mapping(headers, chosen)
    if fmt in ("auto", "custom"):
        detected = _detect_format(headers) if fmt == "auto" else None
        if detected:
            return detected[0], detected[1], None
        return (
            "custom",
            guess_mapping(headers),
            (
                "We could not recognise the columns of this file. "
                "Map its columns to deal fields (Deal ID and Deal name are required)."
            ),
        )
    found = _match(headers, _ALIASES[fmt])
    missing = [r for r in REQUIRED_FIELDS if r not in found]
    if not missing:
        return fmt, found, None
    wanted = " and ".join(repr(_ALIASES[fmt][r][0]) for r in missing)
    return (
        fmt,
        guess_mapping(headers),
        (
            f"This file does not look like a {fmt.capitalize()} export: it has no {wanted} column. "
            "Choose another format or map the columns yourself."
        ),
    )


def _convert(
    line: int, values: dict[str, str], day_first: dict[str, bool], decimal_mark: str | None
) -> DealRow | str:
    """One record as a DealRow, or the reasons it cannot be imported."""
    reasons: list[str] = []
    external_id = values.get("external_id", "")
    if not external_id:
        reasons.append("Deal ID is missing")
    try:
        amount_cents, currency = parse_amount(values.get("amount", ""), decimal_mark)
    except ValueError as exc:
        amount_cents, currency = None, None
        reasons.append(str(exc).rstrip("."))
    if values.get("currency"):
        currency = _currency_of(values["currency"]) or currency
    dates: dict[str, date | None] = {}
    for name, label in (("close_on", "Close date"), ("created_on", "Created date")):
        try:
            dates[name] = parse_date(values.get(name, ""), day_first[name])
        except ValueError as exc:
            dates[name] = None
            reasons.append(f"{label} {exc}")
    if reasons:
        return "; ".join(reasons) + "."
    stage = values.get("stage") or None
    return DealRow(
        line=line,
        external_id=external_id,
        # A nameless deal is still a deal; its ID is the only name the CRM gave it.
        name=values.get("name") or external_id,
        account=values.get("account") or None,
        amount_cents=amount_cents,
        currency=currency,
        stage=stage,
        outcome=_outcome(stage, _parse_bool(values.get("won", "")), _parse_bool(values.get("closed", ""))),
        close_on=dates["close_on"],
        created_on=dates["created_on"],
        owner=values.get("owner") or None,
        contacts=parse_contacts(values.get("contacts", "")),
    )


_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


def parse_contacts(text: str) -> tuple[tuple[str, str | None], ...]:
    """Contacts written in one cell, as exports write them ("Anna Petrova (anna@acme.com); bob@acme.com",
    "Anna <anna@acme.com>, Bob <bob@acme.com>"): (email in lower case, name or None), each email once."""
    found: dict[str, str | None] = {}
    for part in re.split(r"[;\n]|,(?=[^,]*@)", text or ""):
        match = _EMAIL.search(part)
        if match is None:
            continue
        name = " ".join(_EMAIL.sub("", part).replace("<", " ").replace(">", " ").replace("(", " ")
                        .replace(")", " ").strip(" ,\"'").split())
        found.setdefault(match.group(0).lower()[:254], name[:200] or None)
    return tuple(found.items())[:100]


def parse_deals(data: bytes, fmt: str = "auto", mapping: dict[str, str] | None = None) -> ParseResult:
    """Parse a CRM deal export (fmt: auto, salesforce, hubspot, russian, custom); never raises."""
    text, encoding = _decode(data)
    delimiter = _sniff_delimiter(text) if text.strip() else ","
    result = ParseResult(fmt if fmt != "auto" else "custom", [], {}, [], [], encoding, delimiter, None)
    if fmt != "auto" and fmt not in FORMATS:
        result.problem = f"Unknown format '{fmt}'; choose one of: auto, {', '.join(FORMATS)}."
        return result
    result.problem = _unreadable(data, text)
    if result.problem:
        return result

    records = _records(text, delimiter)
    for line, header_fields, error in records:
        if error:
            result.problem = f"The header line {line} is not valid CSV ({error}); check the file."
            return result
        if header_fields and any(_clean(h) for h in header_fields):
            result.headers = [_clean(h) for h in header_fields]
            break
    headers = result.headers
    if not headers:
        result.problem = (
            "The file has no header line. Export the deals from your CRM as CSV with column names."
        )
        return result

    result.format, result.mapping, result.problem = _resolve_columns(headers, fmt, mapping)
    if result.problem:
        return result

    index = {name: headers.index(header) for name, header in result.mapping.items()}
    parsed: list[tuple[int, dict[str, str]]] = []
    for line, fields, error in records:
        if error is not None or fields is None:
            result.errors.append(RowError(line, f"This line is not valid CSV ({error}); check its quotes."))
            continue
        if not any(f.strip() for f in fields):
            continue
        if len(fields) > len(headers) and any(f.strip() for f in fields[len(headers) :]):
            result.errors.append(RowError(line, (
                f"This line has {len(fields)} values but the header has {len(headers)}; "
                "a value probably contains an unquoted delimiter.")))  # fmt: skip
            continue
        parsed.append((line, {n: _clean(fields[i]) if i < len(fields) else "" for n, i in index.items()}))

    default = _DAY_FIRST_DEFAULT.get(result.format)
    day_first = {
        n: _day_first([v.get(n, "") for _, v in parsed], default) for n in ("close_on", "created_on")
    }
    decimal_mark = _decimal_mark([v.get("amount", "") for _, v in parsed])
    by_id: dict[str, DealRow] = {}
    for line, values in parsed:
        row = _convert(line, values, day_first, decimal_mark)
        if isinstance(row, str):
            result.errors.append(RowError(line, row))
            continue
        earlier = by_id.pop(row.external_id, None)
        if earlier is not None:
            # A re-import updates deals by ID too, so the later line (the newer state) wins.
            result.warnings.append(RowError(line, (
                f"Deal ID '{_show(row.external_id)}' also appears on line {earlier.line}; "
                "this line replaces it.")))  # fmt: skip
        by_id[row.external_id] = row
    result.rows = sorted(by_id.values(), key=lambda r: r.line)
    result.errors.sort(key=lambda e: e.line)
    if not result.rows and not result.errors:
        result.problem = "The file has a header line but no deals."
    log.info(
        "parsed %s deals (%s errors) from a %s file", len(result.rows), len(result.errors), result.format
    )
    return result
