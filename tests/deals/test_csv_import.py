from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from enable.deals.csv_import import (
    FIELDS,
    RowError,
    guess_mapping,
    parse_amount,
    parse_date,
    parse_deals,
)

CRM = Path(__file__).parent.parent / "data" / "crm"


def by_id(result):
    return {row.external_id: row for row in result.rows}


def outcomes(result):
    return Counter(row.outcome for row in result.rows)


def test_salesforce_export_imports_with_bad_row_reported():
    result = parse_deals((CRM / "salesforce_opportunities.csv").read_bytes())

    assert result.problem is None
    assert (result.format, result.encoding, result.delimiter) == ("salesforce", "utf-8-sig", ",")
    assert result.headers[0] == "Opportunity ID"  # the BOM is not part of the first header
    assert len(result.rows) == 11
    assert result.errors == [RowError(9, "Amount 'about 20k' is not a number.")]
    assert outcomes(result) == {"won": 4, "lost": 3, "open": 4}
    deals = by_id(result)
    acme = deals["0061x00000A1"]
    assert (acme.amount_cents, acme.currency, acme.outcome) == (4_800_000, "USD", "won")
    assert (acme.close_on, acme.created_on) == (date(2024, 3, 15), date(2024, 1, 10))
    assert (acme.account, acme.stage, acme.owner) == ("Acme Corp", "Closed Won", "rep@example.test")
    assert deals["0061x00000A4"].name == 'Umbrella "Q2" rollout'
    assert deals["0061x00000A5"].amount_cents == 2_500_050
    assert deals["0061x00000A9"].amount_cents is None
    # No Won/Closed flags on these lines: the stage name decides.
    assert deals["0061x00000A8"].outcome == "won"
    assert deals["0061x00000B1"].outcome == "lost"
    assert deals["0061x00000B3"].created_on == date(2024, 1, 5)


def test_salesforce_lines_after_a_multi_line_name_keep_their_physical_numbers():
    result = parse_deals((CRM / "salesforce_opportunities.csv").read_bytes())
    deals = by_id(result)
    assert deals["0061x00000A5"].line == 6
    assert deals["0061x00000A5"].name.startswith("Hooli onboarding")
    assert deals["0061x00000A6"].line == 8
    assert deals["0061x00000B3"].line == 14


def test_hubspot_export_imports_with_bad_date_reported():
    result = parse_deals((CRM / "hubspot_deals.csv").read_bytes())

    assert result.problem is None
    assert (result.format, result.encoding, result.delimiter) == ("hubspot", "utf-8", ",")
    assert len(result.rows) == 9
    assert [e.line for e in result.errors] == [8]
    assert result.errors[0].reason.startswith("Close date '2024-13-45 00:00' is not a date")
    assert outcomes(result) == {"won": 3, "lost": 2, "open": 4}
    deals = by_id(result)
    assert deals["9120002"].amount_cents == 450_050
    assert deals["9120002"].close_on == date(2024, 2, 14)
    assert deals["9120004"].outcome == "won"  # internal stage id "closedwon"
    assert deals["9120001"].account == "Northwind Traders"
    assert deals["9120003"].owner == "Ivan Petrov"


def test_bitrix_export_in_cp1251_with_semicolons_and_decimal_commas():
    result = parse_deals((CRM / "bitrix_ru_cp1251.csv").read_bytes())

    assert result.problem is None
    assert (result.format, result.encoding, result.delimiter) == ("russian", "cp1251", ";")
    assert result.headers[1] == "Название сделки"
    assert len(result.rows) == 6
    assert result.errors == [RowError(8, "Amount 'двести тысяч' is not a number.")]
    assert outcomes(result) == {"won": 2, "lost": 2, "open": 2}
    deals = by_id(result)
    first = deals["101"]
    assert (first.amount_cents, first.currency, first.outcome) == (125_000_050, "RUB", "won")
    assert first.name == "Внедрение CRM для ООО «Ромашка»"
    assert first.created_on == date(2024, 1, 15)
    assert deals["102"].amount_cents == 48_000_000  # NBSP as the thousands separator
    assert deals["102"].close_on == date(2024, 4, 5)  # day first, as Russian exports write it
    assert deals["102"].owner == "Иван Петров"
    assert deals["103"].amount_cents == 9_990_000
    assert deals["104"].outcome == "won"  # amoCRM's "Успешно реализовано"
    assert deals["105"].outcome == "lost"
    assert deals["106"].close_on is None


@pytest.mark.parametrize(
    ("text", "cents", "currency"),
    [
        ("1 250 000,50", 125_000_050, None),
        ("1\u202f250\u202f000,50", 125_000_050, None),
        ("1,250,000.50", 125_000_050, None),
        ("1.250.000,50", 125_000_050, None),
        ("$12,000", 1_200_000, "USD"),
        ("12000 руб.", 1_200_000, "RUB"),
        ("€1.200", 120_000, "EUR"),
        ("USD 1,200.5", 120_050, "USD"),
        ("0,5", 50, None),
        ("  ", None, None),
    ],
)
def test_amounts_in_the_ways_crms_write_them(text, cents, currency):
    assert parse_amount(text) == (cents, currency)


def test_a_lone_separator_before_three_digits_follows_the_column():
    assert parse_amount("1,200") == (120_000, None)
    assert parse_amount("1,200", decimal_mark=",") == (120, None)


@pytest.mark.parametrize("text", ["abc", "12 apples", "1,2,3", "12%", "1.2.3,4,5"])
def test_unparseable_amount_is_refused(text):
    with pytest.raises(ValueError, match=f"Amount '{text}' is not a number"):
        parse_amount(text)


@pytest.mark.parametrize("text", ["-5", "(1,200)", "$-20"])
def test_negative_amount_is_refused(text):
    with pytest.raises(ValueError, match="is negative"):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "day_first", "expected"),
    [
        ("2024-03-31", False, date(2024, 3, 31)),
        ("2024-03-31T10:00:00Z", True, date(2024, 3, 31)),
        ("03/31/2024", False, date(2024, 3, 31)),
        ("3/31/24", False, date(2024, 3, 31)),
        ("31.03.2024", True, date(2024, 3, 31)),
        ("31/03/2024", True, date(2024, 3, 31)),
        ("04/05/2024", True, date(2024, 5, 4)),
        ("04/05/2024", False, date(2024, 4, 5)),
        ("", True, None),
    ],
)
def test_dates(text, day_first, expected):
    assert parse_date(text, day_first) == expected


@pytest.mark.parametrize("text", ["2024-02-30", "31/31/2024", "yesterday", "2024"])
def test_bad_dates_are_refused(text):
    with pytest.raises(ValueError, match="is not a date"):
        parse_date(text, day_first=True)


def test_one_unambiguous_date_makes_the_whole_column_day_first():
    data = b"Opportunity ID,Opportunity Name,Close Date\nA,First,04/05/2024\nB,Second,25/05/2024\n"
    result = parse_deals(data)
    assert [row.close_on for row in result.rows] == [date(2024, 5, 4), date(2024, 5, 25)]


def test_ambiguous_dates_follow_the_format_convention():
    salesforce = parse_deals(b"Opportunity ID,Opportunity Name,Close Date\nA,First,04/05/2024\n")
    russian = parse_deals("ID;Название;Дата закрытия\nA;Первая;04/05/2024\n".encode())
    dotted = parse_deals(b"Opportunity ID,Opportunity Name,Close Date\nA,First,04.05.2024\n")
    assert salesforce.rows[0].close_on == date(2024, 4, 5)
    assert russian.rows[0].close_on == date(2024, 5, 4)
    assert dotted.rows[0].close_on == date(2024, 5, 4)  # dots mean day first in every locale


def test_tab_delimited_file():
    data = b"Record ID\tDeal Name\tDeal Stage\tAmount\n1\tTabbed deal\tclosedlost\t1,500.25\n"
    result = parse_deals(data)
    assert (result.format, result.delimiter) == ("hubspot", "\t")
    assert result.rows[0].amount_cents == 150_025
    assert result.rows[0].outcome == "lost"


def test_semicolon_header_whose_names_contain_commas():
    data = "ID;Название;Сумма;Примечание, если есть\n1;Сделка;1 000,00;\n".encode()
    result = parse_deals(data)
    assert result.delimiter == ";"
    assert result.rows[0].amount_cents == 100_000


def test_excel_unicode_text_export():
    text = "Record ID\tDeal Name\tAmount\r\n7\tСделка\t12 000,50\r\n"
    result = parse_deals(text.encode("utf-16"))
    assert (result.encoding, result.delimiter) == ("utf-16", "\t")
    assert result.rows[0].name == "Сделка"
    assert result.rows[0].amount_cents == 1_200_050


def test_utf8_with_one_stray_byte_stays_utf8():
    data = "Record ID,Deal Name\n1,Café Ромашка\n2,Bad \xff byte\n".encode().replace(b"\xc3\xbf", b"\xff")
    result = parse_deals(data)
    assert result.encoding == "utf-8"
    assert result.rows[0].name == "Café Ромашка"


def test_quoted_multi_line_fields_do_not_shift_error_lines():
    data = (
        b"Record ID,Deal Name,Amount\n"
        b'1,"A name\nover\nthree lines",100\n'
        b"2,Fine,200\n"
        b'3,"Another\ntwo-liner",oops\n'
        b"4,Also fine,300\n"
    )
    result = parse_deals(data)
    assert [(row.external_id, row.line) for row in result.rows] == [("1", 2), ("2", 5), ("4", 8)]
    assert result.errors == [RowError(6, "Amount 'oops' is not a number.")]


def test_missing_id_and_shifted_columns_are_row_errors():
    data = b"Record ID,Deal Name,Amount\n,No id,100\n5,Unquoted,12,000\n6,Good,7\n"
    result = parse_deals(data)
    assert [row.external_id for row in result.rows] == ["6"]
    assert result.errors[0] == RowError(2, "Deal ID is missing.")
    assert result.errors[1].line == 3
    assert "unquoted delimiter" in result.errors[1].reason


def test_several_problems_on_one_line_are_reported_together():
    data = b"Record ID,Deal Name,Amount,Close Date\n1,Two faults,lots,soon\n"
    result = parse_deals(data)
    assert len(result.errors) == 1
    assert "Amount 'lots' is not a number" in result.errors[0].reason
    assert "Close date 'soon' is not a date" in result.errors[0].reason


def test_duplicate_id_later_line_wins_with_a_warning():
    data = b"Record ID,Deal Name,Deal Stage\n1,Old,Contract sent\n2,Other,closedlost\n1,New name,closedwon\n"
    result = parse_deals(data)
    assert [(row.external_id, row.name, row.outcome) for row in result.rows] == [
        ("2", "Other", "lost"),
        ("1", "New name", "won"),
    ]
    assert result.errors == []
    assert result.warnings == [RowError(4, "Deal ID '1' also appears on line 2; this line replaces it.")]


def test_missing_deal_name_falls_back_to_the_id():
    result = parse_deals(b"Record ID,Deal Name\n42,\n")
    assert result.rows[0].name == "42"


def test_unknown_columns_ask_for_a_mapping():
    data = b"Deal Number,Title,Value,Status,Sales Rep,Notes\nD-1,Big one,5000,won,rep@example.test,x\n"
    result = parse_deals(data)
    assert result.format == "custom"
    assert result.rows == []
    assert "Map its columns" in result.problem
    assert result.mapping == guess_mapping(result.headers)
    assert result.mapping == {
        "external_id": "Deal Number",
        "name": "Title",
        "amount": "Value",
        "stage": "Status",
        "owner": "Sales Rep",
    }


def test_mapping_given_by_the_user_is_used():
    data = b"Ref;Label;Money;Phase;Closed at\nD-1;Big one;5 000,25;won;31.01.2024\nD-2;Small;10;talks;\n"
    mapping = {"external_id": "Ref", "name": "Label", "amount": "Money", "stage": "Phase",
               "close_on": "Closed at", "owner": ""}  # fmt: skip
    result = parse_deals(data, fmt="custom", mapping=mapping)
    assert result.problem is None
    assert result.mapping == {k: v for k, v in mapping.items() if v}
    assert [(r.external_id, r.amount_cents, r.outcome) for r in result.rows] == [
        ("D-1", 500_025, "won"),
        ("D-2", 1_000, "open"),
    ]
    assert result.rows[0].close_on == date(2024, 1, 31)


def test_mapping_to_a_missing_column_or_without_required_fields_is_a_problem():
    data = b"Ref,Label\n1,x\n"
    absent = parse_deals(data, mapping={"external_id": "Ref", "name": "Nope"})
    assert absent.problem == "Column(s) 'Nope' are not in this file; choose the columns again."
    no_name = parse_deals(data, mapping={"external_id": "Ref"})
    assert no_name.problem == "Choose the column that holds Deal name."


def test_fields_for_the_mapping_form():
    required = {f.name for f in FIELDS if f.required}
    assert required == {"external_id", "name"}
    assert all(f.label for f in FIELDS)


def test_wrong_format_chosen_explains_what_is_missing():
    result = parse_deals((CRM / "salesforce_opportunities.csv").read_bytes(), fmt="hubspot")
    assert "does not look like a Hubspot export" in result.problem
    assert "'Record ID'" in result.problem
    assert result.rows == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty"),
        (b"\r\n \r\n", "The file is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "not readable CSV text"),
        (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
        (b"Record ID,Deal Name\n", "no deals"),
    ],
)
def test_whole_file_problems(data, message):
    result = parse_deals(data)
    assert message in result.problem
    assert result.rows == []


def test_unknown_format_name_is_a_problem():
    assert "Unknown format 'pipedrive'" in parse_deals(b"a,b\n1,2\n", fmt="pipedrive").problem


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_raise(data):
    result = parse_deals(data)
    assert result.problem is not None or result.rows or result.errors


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet='ab,;\t"\n\r 1.€', max_size=30), max_size=20))
def test_csv_like_text_never_raises(lines):
    data = ("Record ID,Deal Name,Amount,Close Date\n" + "\n".join(lines)).encode()
    result = parse_deals(data)
    assert all(row.line >= 2 for row in result.rows)
