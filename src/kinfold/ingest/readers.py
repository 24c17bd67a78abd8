"""Readers: turn CSV, XLSX, JSON and JSON Lines files into rows of named values.

A reader never decides what a row means; it only reports what the file holds, row by
row, and marks a row it could not read whole (ragged, a formula, an enormous cell) with
the problem, so the importer can quarantine it. A file that cannot be read at all raises
`FileFormatError` before any row is given out.
"""

from __future__ import annotations

import codecs
import csv
import json
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from kinfold.errors import FileFormatError
from kinfold.ingest.tables import CsvPlan, RowProblem, SourceRow, SourceTable, Value
from kinfold.ingest.xes import read_xes

MAX_CELL_CHARS = 1_000_000
MAX_DEPTH = 32  # lists and objects within one another in a JSON record
# a workbook is a zip: what it unpacks to is bounded before a byte of it is parsed (a
# 6 MB file can unpack to gigabytes), and so are the cells read
MAX_UNPACKED = 2 * 1024**3
MAX_SHARED_STRINGS = 256 * 1024**2  # held in memory whole while the sheet is read
MAX_RATIO, RATIO_FROM = 100, 10 * 1024**2  # unpacked / packed, for parts over 10 MiB
MAX_CELLS = 100_000_000
"""A cell longer than this is not a field of a backlog export; its row is quarantined."""

CSV_FIELD_LIMIT = 64 * 1024 * 1024
DELIMITERS = (",", ";", "\t", "|")
SNIFF_BYTES = 64 * 1024
# Bytes that Windows-1252 leaves undefined: a file holding them is not Windows-1252 text.
CP1252_UNDEFINED = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")

csv.field_size_limit(CSV_FIELD_LIMIT)


def read_table(path: Path, sheet: str | None = None, records: str | None = None) -> SourceTable:
    """Open `path` and describe its rows; the format is told by extension, then content."""
    if not path.exists():
        raise FileFormatError(f"There is no file at {path}.")
    if path.is_dir():
        raise FileFormatError(f"{path} is a folder, not a file.")
    size = path.stat().st_size
    if size == 0:
        raise FileFormatError(f"{path.name} is empty (0 bytes).", "Export the data again.")
    file_format = detect_format(path)
    if file_format == "xes":
        return read_xes(path)
    if file_format == "xlsx":
        return _read_xlsx(path, sheet)
    if file_format == "json":
        return _read_json(path, records)
    if file_format == "jsonl":
        return _read_json_lines(path)
    return _read_csv(path)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    if suffix == ".xls" or head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileFormatError(
            f"{path.name} is an old-style Excel (.xls) workbook, which kinfold does not read.",
            "Open it in a spreadsheet program and save it as .xlsx, or export it as CSV.",
        )
    if path.name.lower().endswith((".xes", ".xes.gz")):
        return "xes"
    if suffix in (".xlsx", ".xlsm") or head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if suffix not in (".csv", ".tsv", ".txt") and stripped[:1] in (b"[", b"{"):
        return "json"
    return "csv"


def detect_encoding(path: Path) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, or Windows-1252; else refuse."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            encoding = "utf-8"
        if b"\x00" in head:
            raise FileFormatError(
                f"{path.name} does not look like a text file: it holds NUL bytes.",
                "kinfold reads CSV, XLSX, JSON and JSON Lines. Check that this is the export.",
            )
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return encoding
        except UnicodeDecodeError:
            pass
        handle.seek(0)
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            if any(chunk.find(byte) != -1 for byte in CP1252_UNDEFINED):
                raise FileFormatError(
                    f"{path.name} is in a text encoding kinfold cannot recognise "
                    "(neither UTF-8 nor Windows-1252).",
                    "Save it as UTF-8 CSV and import it again.",
                )
    return "cp1252"


def _read_csv(path: Path) -> SourceTable:
    encoding = detect_encoding(path)
    with path.open("r", encoding=encoding, newline="") as handle:
        delimiter = _sniff_delimiter(handle.read(SNIFF_BYTES))
        handle.seek(0)
        try:
            header = next(csv.reader(handle, delimiter=delimiter), None)
        except csv.Error as error:
            raise FileFormatError(
                f"{path.name}: the header row cannot be read ({error})."
            ) from error
    if header is None or not any(cell.strip() for cell in header):
        raise FileFormatError(
            f"{path.name} has no header row.", "The first row must name the columns."
        )
    columns = _column_names(path.name, header)
    notes = [] if encoding.startswith("utf-8") else [f"read as {encoding} text"]
    plan = CsvPlan(path, encoding, delimiter, columns)
    return SourceTable(
        file_name=path.name,
        format="csv",
        columns=columns,
        rows=_csv_rows(plan),
        estimated_rows=max(_count_lines(path) - 1, 0),
        notes=notes,
        csv_plan=plan if plan.splittable else None,
    )


def _csv_rows(plan: CsvPlan) -> Iterator[SourceRow]:
    """The rows after the header; the file is open only while they are being read."""
    with plan.path.open("r", encoding=plan.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=plan.delimiter, strict=True)
        next(reader)
        counter = [1]
        try:
            yield from csv_records(reader, plan.columns, counter)
        except csv.Error as error:
            raise unreadable_row(plan.path.name, counter[0] + 1, error) from error


def csv_records(reader: Any, columns: list[str], counter: list[int]) -> Iterator[SourceRow]:
    """Rows of a csv reader, numbered on from counter[0] (kept up to date there)."""
    width = len(columns)
    number = counter[0]
    for cells in reader:
        number += 1
        counter[0] = number
        if not any(cells):
            continue  # a blank line, or a row of empty cells: nothing to import
        if _fitting(cells, width):
            yield SourceRow(number, dict(zip(columns, cells)))  # noqa: B905 - checked
        else:
            yield _odd_row(number, cells, columns)


def _fitting(cells: list[str], width: int) -> bool:
    """Whether a CSV row reads without a problem: a cell per column, once empty cells
    beyond the last column are dropped (here, in place), and none of them enormous."""
    while len(cells) > width and cells[-1] == "":
        cells.pop()
    return len(cells) == width and max(map(len, cells)) <= MAX_CELL_CHARS


def csv_columns(plan: CsvPlan, wanted: tuple[str, ...]) -> Iterator[tuple[int, dict[str, Value]]]:
    """(row number, the `wanted` columns' values) of each row csv_records would read
    without a problem: a quick pass over a large file for one column, without building
    every row."""
    positions = [(name, plan.columns.index(name)) for name in wanted]
    width = len(plan.columns)
    with plan.path.open("r", encoding=plan.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=plan.delimiter, strict=True)
        next(reader)
        number = 1
        try:
            for number, cells in enumerate(reader, start=2):
                if any(cells) and _fitting(cells, width):
                    yield number, {name: cells[position] for name, position in positions}
        except csv.Error as error:
            raise unreadable_row(plan.path.name, number + 1, error) from error


def unreadable_row(file_name: str, number: int, error: object) -> FileFormatError:
    return FileFormatError(
        f"{file_name}: row {number} cannot be read ({error}).",
        "This is usually an unclosed quote mark in that row or the one before.",
    )


def _odd_row(number: int, cells: list[str], columns: list[str]) -> SourceRow:
    """A row that does not fit (`_fitting`, which dropped its empty cells beyond the
    last column): of the wrong width, or with an enormous cell."""
    width = len(columns)
    values: dict[str, Value] = dict(zip(columns, cells, strict=False))
    if len(cells) != width:
        reason = f"the row has {len(cells)} values but the header names {width} columns"
        return SourceRow(number, values, RowProblem(reason))
    return SourceRow(number, values, _oversized(values))


def _sniff_delimiter(sample: str) -> str:
    """The delimiter that splits the header line into the most fields, outside quotes."""
    header = sample.split("\n", 1)[0]
    counts = {delimiter: _count_outside_quotes(header, delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] > 0 else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def _count_lines(path: Path) -> int:
    lines = 0
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            lines += chunk.count(b"\n")
    return lines


def _column_names(file_name: str, header: list[Any]) -> list[str]:
    columns: list[str] = []
    seen: dict[str, int] = {}
    for position, cell in enumerate(header, start=1):
        name = "" if cell is None else str(cell).strip()
        if not name:
            name = f"column {position}"
        key = name.casefold()
        if key in seen:
            raise FileFormatError(
                f"{file_name}: the header names the column '{name}' twice "
                f"(columns {seen[key]} and {position}).",
                "Rename one of them in the file and import it again.",
            )
        seen[key] = position
        columns.append(name)
    return columns


def _oversized(values: dict[str, Value]) -> RowProblem | None:
    for column, value in values.items():
        if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
            return RowProblem(
                f"the cell holds {len(value):,} characters, more than the {MAX_CELL_CHARS:,} "
                "kinfold accepts (an unclosed quote mark can cause this)",
                column,
            )
    return None


def _read_xlsx(path: Path, sheet: str | None) -> SourceTable:
    workbook, worksheet = _open_sheet(path, sheet)
    try:
        header_cells = next(worksheet.iter_rows(max_row=1), None)
        max_row = worksheet.max_row
        title = worksheet.title
    finally:
        workbook.close()
    if header_cells is None or all(cell.value is None for cell in header_cells):
        raise FileFormatError(f"{path.name}: sheet '{title}' has no header row.")
    while header_cells and header_cells[-1].value is None:
        header_cells = header_cells[:-1]
    columns = _column_names(path.name, [cell.value for cell in header_cells])
    return SourceTable(
        file_name=path.name,
        format="xlsx",
        columns=columns,
        rows=_xlsx_rows(path, title, columns),
        estimated_rows=max(max_row - 1, 0) if isinstance(max_row, int) else None,
        notes=[f"sheet '{title}'"],
    )


def _open_sheet(path: Path, sheet: str | None) -> tuple[Any, Any]:
    import openpyxl  # slow to import: only when a workbook is read

    try:
        _check_unpacked(path)
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise FileFormatError(
            f"{path.name} is not a readable XLSX workbook ({error}).",
            "Open it in a spreadsheet program, save it as .xlsx, and import it again.",
        ) from error
    if sheet is None:
        return workbook, workbook.worksheets[0]
    if sheet not in workbook.sheetnames:
        names = ", ".join(workbook.sheetnames)
        workbook.close()
        raise FileFormatError(
            f"{path.name} has no sheet called '{sheet}'.", f"Its sheets are: {names}."
        )
    return workbook, workbook[sheet]


def _check_unpacked(path: Path) -> None:
    """Refuse a workbook that would unpack to more than kinfold reads (a zip bomb)."""
    with zipfile.ZipFile(path) as archive:
        parts = archive.infolist()
    unpacked = sum(part.file_size for part in parts)
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        shared = part.filename.lower().endswith("sharedstrings.xml")
        if ((shared and part.file_size > MAX_SHARED_STRINGS)
                or (part.file_size > RATIO_FROM and ratio > MAX_RATIO)):  # fmt: skip
            raise FileFormatError(
                f"{path.name} unpacks its part {part.filename} from "
                f"{part.compress_size / 1e6:,.1f} MB to {part.file_size / 1e6:,.0f} MB: "
                "more than a workbook of records does.",
                "Export the data as CSV and import that.",
            )
    if unpacked > MAX_UNPACKED:
        raise FileFormatError(
            f"{path.name} unpacks to {unpacked / 1e9:,.1f} GB; kinfold reads workbooks of "
            f"up to {MAX_UNPACKED / 1e9:,.1f} GB unpacked.",
            "Export the data as CSV and import that.",
        )


def _xlsx_rows(path: Path, sheet: str, columns: list[str]) -> Iterator[SourceRow]:
    width = len(columns)
    workbook, worksheet = _open_sheet(path, sheet)
    read = 0
    try:
        for number, cells in enumerate(worksheet.iter_rows(min_row=2), start=2):
            read += len(cells)
            if read > MAX_CELLS:
                raise FileFormatError(
                    f"{path.name} has more than {MAX_CELLS:,} cells (at row {number:,}).",
                    "Export the data as CSV and import that.",
                )
            values: dict[str, Value] = {}
            problem: RowProblem | None = None
            extra = [cell.value for cell in cells[width:] if cell.value not in (None, "")]
            for column, cell in zip(columns, cells, strict=False):
                if cell.data_type == "f" and problem is None:
                    problem = RowProblem(
                        f"the cell holds a formula ({str(cell.value)[:60]}); "
                        "kinfold imports values only. Copy the sheet and paste values",
                        column,
                    )
                values[column] = _xlsx_value(cell.value)
            if all(value in (None, "") for value in values.values()) and not extra:
                continue
            if extra and problem is None:
                problem = RowProblem(f"the row has values beyond the {width} named columns")
            yield SourceRow(number, values, problem or _oversized(values))
    finally:
        workbook.close()


def _xlsx_value(value: Any) -> Value:
    if value is None or isinstance(value, str | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_json(path: Path, records_key: str | None) -> SourceTable:
    encoding = detect_encoding(path)
    text = path.read_text(encoding=encoding)
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":  # one object per line: JSON Lines after all
            return _read_json_lines(path)
        raise FileFormatError(
            f"{path.name} is not valid JSON: {error.msg} at line {error.lineno}, "
            f"column {error.colno}.",
        ) from error
    except RecursionError:
        raise FileFormatError(_too_deep(path.name)) from None
    records = _find_records(path.name, document, records_key)
    columns = _json_columns(records)
    return SourceTable(
        file_name=path.name,
        format="json",
        columns=columns,
        rows=(_json_row(number, record) for number, record in enumerate(records, start=1)),
        estimated_rows=len(records),
    )


def _find_records(file_name: str, document: Any, records_key: str | None) -> list[Any]:
    if records_key is not None:
        found = document
        for part in records_key.split("."):
            if not isinstance(found, dict) or part not in found:
                raise FileFormatError(f"{file_name} has no list of records at '{records_key}'.")
            found = found[part]
        document = found
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        lists = [key for key, value in document.items() if isinstance(value, list)]
        if len(lists) == 1:
            return list(document[lists[0]])
        if not lists:
            return [document]
        raise FileFormatError(
            f"{file_name} holds several lists ({', '.join(lists)}); which are the records?",
            "Name it in the mapping file as `records: <key>`.",
        )
    raise FileFormatError(f"{file_name} holds a single {type(document).__name__}, not records.")


def _read_json_lines(path: Path) -> SourceTable:
    encoding = detect_encoding(path)
    columns: dict[str, None] = {}
    count = 0
    with path.open("r", encoding=encoding) as handle:
        for line in handle:
            if not line.strip():
                continue
            count += 1
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, RecursionError):
                continue  # the row is quarantined when it is read
            if isinstance(record, dict) and not _deeper_than(record, MAX_DEPTH):
                columns.update(dict.fromkeys(_flatten(record)))
    if count == 0:
        raise FileFormatError(f"{path.name} holds no records.")
    return SourceTable(
        file_name=path.name,
        format="jsonl",
        columns=list(columns),
        rows=_json_line_rows(path, encoding),
        estimated_rows=count,
    )


def _json_line_rows(path: Path, encoding: str) -> Iterator[SourceRow]:
    with path.open("r", encoding=encoding) as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield SourceRow(
                    number, {"line": line[:1000]}, RowProblem(f"not valid JSON: {error.msg}")
                )
                continue
            except RecursionError:
                yield SourceRow(number, {"line": line[:1000]}, RowProblem(_too_deep("the line")))
                continue
            yield _json_row(number, record)


def _json_columns(records: list[Any]) -> list[str]:
    columns: dict[str, None] = {}
    for record in records:
        if isinstance(record, dict) and not _deeper_than(record, MAX_DEPTH):
            columns.update(dict.fromkeys(_flatten(record)))
    return list(columns)


def _json_row(number: int, record: Any) -> SourceRow:
    if _deeper_than(record, MAX_DEPTH):
        return SourceRow(number, {"record": "(not shown)"}, RowProblem(_too_deep("the record")))
    if not isinstance(record, dict):
        return SourceRow(
            number,
            {"record": json.dumps(record)[:1000]},
            RowProblem(f"the record is a {type(record).__name__}, not an object"),
        )
    values = _flatten(record)
    return SourceRow(number, values, _oversized(values))


def _too_deep(what: str) -> str:
    return (f"{what} nests lists or objects more than {MAX_DEPTH} levels deep; kinfold "
            "reads records of values, and objects or lists of values within them")  # fmt: skip


def _deeper_than(value: Any, limit: int) -> bool:
    """Does `value` nest lists or objects more than `limit` levels deep? (Counted without
    recursion: the nesting is what is in question.)"""
    waiting = [(value, 1)]
    while waiting:
        found, depth = waiting.pop()
        if isinstance(found, dict | list):
            if depth > limit:
                return True
            parts = found.values() if isinstance(found, dict) else found
            waiting.extend((part, depth + 1) for part in parts)
    return False


def _flatten(record: dict[str, Any], prefix: str = "") -> dict[str, Value]:
    """Nested objects become dotted names ("address.postcode"); lists of values join with ;."""
    flat: dict[str, Value] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(not isinstance(part, dict | list) for part in value):
                flat[name] = ";".join("" if part is None else str(part) for part in value)
            else:
                flat[name] = json.dumps(value)
        elif value is None or isinstance(value, str):
            flat[name] = value
        elif isinstance(value, bool):
            flat[name] = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            flat[name] = str(int(value))
        else:
            flat[name] = str(value)
    return flat
