"""CSV downloads are safe to open in a spreadsheet: no cell runs as a formula, and no
identifier turns into a number."""
import csv
import io

import pytest

from gateway.csv_stream import csv_lines, safe_cell
from tests.spreadsheet import as_dicts, open_in_calc


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tTAB", "\rCR", "\nLF",
                                  '=HYPERLINK("http://evil.example","click")'])
def test_text_that_a_spreadsheet_would_run_as_a_formula_is_neutralised(text):
    cell = safe_cell(text)
    assert cell == "'" + text
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n"))


@pytest.mark.parametrize("text", ["ABCD-EFGH-JKMN-PQRS", "PO 1=2", "a-b", "mail@x.org", "",
                                  " =not first"])
def test_ordinary_text_is_left_alone(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("text", ["00123", "0123-4567-8901-2345", "1E5", "12:30", "1/2",
                                  "5%", "$5", "(12)", "1,234", "2026-10-15", "-7"])
def test_an_identifier_a_spreadsheet_would_read_as_a_number_is_marked_text(text):
    assert safe_cell(text, identifier=True) == "'" + text


@pytest.mark.parametrize("text", ["S-00123", "ABCD-EFGH-JKMN-PQRS", "R.1", "", "LEGACY"])
def test_an_identifier_with_letters_is_left_alone(text):
    assert safe_cell(text, identifier=True) == text


def test_only_identifiers_are_marked():
    assert safe_cell("00123") == "00123"
    assert safe_cell(123, identifier=True) == "123"  # a number the service sent as one


def test_a_spreadsheet_keeps_identifiers_text_and_numbers_numbers(tmp_path):
    header = ["voucher_code", "student_id", "first_name", "score", "test_date"]
    rows = [["00001234", "00123", "=1+1", 63, "2026-10-15"],
            ["0123-4567-8901-2345", "12:30", "Ada", 48, "2026-10-16"]]
    sheet = as_dicts(open_in_calc(b"".join(csv_lines(header, [rows], text_columns=(
        "voucher_code", "student_id"))), tmp_path))
    assert sheet == [
        {"voucher_code": ("'00001234", "string"), "student_id": ("'00123", "string"),
         "first_name": ("'=1+1", "string"), "score": ("63", "float"),
         "test_date": (sheet[0]["test_date"][0], "date")},
        {"voucher_code": ("'0123-4567-8901-2345", "string"), "student_id": ("'12:30", "string"),
         "first_name": ("Ada", "string"), "score": ("48", "float"),
         "test_date": (sheet[1]["test_date"][0], "date")}]


def test_none_is_an_empty_cell():
    assert safe_cell(None) == ""


def test_booleans_read_yes_and_no():
    assert (safe_cell(True), safe_cell(False)) == ("yes", "no")


def test_numbers_stay_numbers():
    assert (safe_cell(42), safe_cell(-5), safe_cell(0)) == ("42", "-5", "0")


def read_back(chunks):
    text = b"".join(chunks).decode("utf-8")
    return list(csv.reader(io.StringIO(text, newline="")))


HEADER = ["voucher_code", "order_id", "po_number", "remote_proctoring_covered", "student_name"]


def test_csv_parses_back_to_the_rows_written():
    rows = [["ABCD-EFGH-JKMN-PQRS", 12, "PO, with comma", True, None],
            ["ZZZZ-0000-1111-2222", 12, 'quote " inside', False, "Ana Lí"]]
    assert read_back(csv_lines(HEADER, [rows])) == [
        HEADER,
        ["ABCD-EFGH-JKMN-PQRS", "12", "PO, with comma", "yes", ""],
        ["ZZZZ-0000-1111-2222", "12", 'quote " inside', "no", "Ana Lí"],
    ]


def test_a_formula_in_a_cell_comes_back_as_text():
    rows = [["CODE", 1, '=HYPERLINK("x")', False, "@evil"]]
    parsed = read_back(csv_lines(HEADER, [rows]))
    assert parsed[1][2] == '\'=HYPERLINK("x")'
    assert parsed[1][4] == "'@evil"
    for row in parsed[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


def test_cells_with_line_breaks_stay_in_one_record():
    parsed = read_back(csv_lines(HEADER, [[["CODE", 1, "line one\r\nline two", False, ""]]]))
    assert len(parsed) == 2
    assert parsed[1][2] == "line one\r\nline two"


def test_header_comes_first_then_one_chunk_per_batch():
    batches = [[["A", 1, None, True, None]], [["B", 1, None, True, None],
                                              ["C", 1, None, True, None]], []]
    chunks = list(csv_lines(HEADER, iter(batches)))
    assert len(chunks) == 4
    assert chunks[0] == (",".join(HEADER) + "\r\n").encode()
    assert chunks[3] == b""
    assert [row[0] for row in read_back(chunks)] == ["voucher_code", "A", "B", "C"]


def test_output_is_utf8_bytes():
    chunks = list(csv_lines(["name"], [[["Zoë"]]]))
    assert all(isinstance(chunk, bytes) for chunk in chunks)
    assert "Zoë".encode("utf-8") in b"".join(chunks)


def test_rows_are_streamed_as_batches_arrive():
    produced = []

    def batches():
        for name in ("A", "B"):
            produced.append(name)
            yield [[name]]

    stream = csv_lines(["code"], batches())
    next(stream)
    assert produced == []  # the header goes out before any row is read
    next(stream)
    assert produced == ["A"]
