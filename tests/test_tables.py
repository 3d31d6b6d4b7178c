"""read_table / write_excel on real synthetic .xlsx and CSV files: every cell comes back as the text
the user typed, Excel's damage is reported (never repaired) with masked examples naming spreadsheet
rows, headers map to field codes, the right sheet and header row are found, broken files raise
Chinese errors naming the file; write_excel keeps IDs as text and round-trips through read_table.
All personal values are synthetic."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from xueji_lib.core.errors import FileFormatError, WriteError
from xueji_lib.io import assemble, excel_writer, xlsx
from xueji_lib.io.loadinfo import load_report
from xueji_lib.io.tables import INFO_CODES, read_table, write_excel

LAYOUT_YML = """\
name: k12_test
title: 测试学生名单
format: excel
category: k12
fields:
  - {code: XM,    name: 姓名,       type: C, width: 40, required: true}
  - {code: XB,    name: 性别,       type: C, width: 2}
  - {code: CSRQ,  name: 出生日期,   type: C, width: 8, date: YYYYMMDD}
  - {code: SFZJH, name: 身份证件号, type: C, width: 18, personal: id, aliases: [身份证号]}
  - {code: RXNY,  name: 入学年月,   type: C, width: 6, date: YYYYMM}
  - {code: XJFH,  name: 学籍辅号,   type: C, width: 20}
  - {code: LXDH,  name: 联系电话,   type: C, width: 20, personal: phone}
  - {code: BZ,    name: 备注,       type: C, width: 60}
  - {code: JTDZ,  name: 家庭地址,   type: C, width: 60, personal: address}
"""

# Synthetic IDs (valid shape, not real people).
ID_DAMAGED = 110105201203050000  # what Excel keeps of an 18-digit ID typed into a number cell
ID_DAMAGED_2 = 110105201201010000
ID_TEXT = "11010520120101002X"


@pytest.fixture
def layout_path(tmp_path) -> Path:
    p = tmp_path / "k12_test.yml"
    p.write_text(LAYOUT_YML, encoding="utf-8")
    return p


def make_roster(path: Path) -> Path:
    """A 说明 sheet first, then the roster: title row, blank row, ★ headers with a merged cell at row 3,
    numeric IDs, date cells, a serial number, apostrophe text, a blank row in the middle."""
    wb = openpyxl.Workbook()
    note = wb.active
    note.title = "说明"
    note["A1"] = "填表说明"
    note["A2"] = "1. 身份证件号请设置为文本格式"
    note["A3"] = "2. 出生日期格式为 YYYYMMDD"

    ws = wb.create_sheet("学生信息")
    ws["A1"] = "某某区第一小学 2024 学年学生名单"
    ws.merge_cells("A1:J1")
    headers = [
        "姓名★",
        "性别★",
        "出生日期★",
        "身份证件号",
        "入学年月★",
        "学籍辅号",
        "联系电话★",
        "家庭成员",
        None,
        "备注",
    ]
    for j, h in enumerate(headers, start=1):
        if h is not None:
            ws.cell(row=3, column=j, value=h)
    ws.merge_cells("H3:I3")  # 家庭成员 over 姓名/关系: column I has no header of its own

    # row 4
    r = 4
    ws.cell(r, 1, "张小明")
    ws.cell(r, 2, "男")
    ws.cell(r, 3, dt.date(2012, 3, 5))
    ws.cell(r, 4, ID_DAMAGED)
    ws.cell(r, 5, dt.date(2018, 9, 1))
    c = ws.cell(r, 6, 123)
    c.number_format = "00000"
    ws.cell(r, 7, "13800001111")
    ws.cell(r, 8, "张大明")
    ws.cell(r, 9, "父亲")
    # row 5
    r = 5
    ws.cell(r, 1, "李小红")
    ws.cell(r, 2, "女")
    ws.cell(r, 3, 41000)  # an Excel serial typed as a plain number: 2012-04-01
    ws.cell(r, 4, "'" + ID_TEXT)
    ws.cell(r, 5, "2018-09")
    ws.cell(r, 6, "G" + ID_TEXT)
    ws.cell(r, 7, 13900002222)
    ws.cell(r, 10, 3.5)
    # row 6 blank
    # row 7
    r = 7
    ws.cell(r, 1, "王五")
    ws.cell(r, 2, "男")
    ws.cell(r, 3, "2012年1月1日")
    ws.cell(r, 4, "1.10105E+17")
    ws.cell(r, 5, 201809)
    ws.cell(r, 6, 7)
    ws.cell(r, 10, True)
    # row 8
    r = 8
    ws.cell(r, 1, "赵六")
    ws.cell(r, 2, "女")
    ws.cell(r, 3, "20120101")
    ws.cell(r, 4, ID_DAMAGED_2)
    ws.cell(r, 5, 43344)  # serial of 2018-09-01 in a YYYYMM field
    ws.cell(r, 10, dt.datetime(2024, 5, 6, 7, 8, 9))
    ws.cell(r, 11, "表头外的数据")  # data right of the header
    # row 9: only spaces (trailing blank)
    ws.cell(9, 10, "   ")
    wb.save(path)
    return path


@pytest.fixture
def roster(tmp_path) -> Path:
    return make_roster(tmp_path / "学生名单.xlsx")


def warning(rep, code, field=None):
    found = [w for w in rep.warnings if w.code == code and (field is None or w.field == field)]
    assert found, f"no {code} warning for {field}: {[(w.code, w.field) for w in rep.warnings]}"
    return found[0]


# -- xlsx: values ----------------------------------------------------------------------------------------


def test_xlsx_with_layout_gives_exact_text(roster, layout_path):
    df = read_table(roster, layout_path)
    assert list(df.columns) == ["XM", "XB", "CSRQ", "SFZJH", "RXNY", "XJFH", "LXDH", "家庭成员", "列9", "BZ", "列11"]
    assert all(str(t) == "str" for t in df.dtypes)
    assert df["XM"].tolist() == ["张小明", "李小红", "王五", "赵六"]
    assert df["CSRQ"].tolist() == ["20120305", "20120401", "2012年1月1日", "20120101"]
    assert df["SFZJH"].tolist() == [str(ID_DAMAGED), ID_TEXT, "1.10105E+17", str(ID_DAMAGED_2)]
    assert df["RXNY"].tolist() == ["201809", "2018-09", "201809", "201809"]
    assert df["XJFH"].tolist() == ["00123", "G" + ID_TEXT, "7", ""]
    assert df["LXDH"].tolist() == ["13800001111", "13900002222", "", ""]
    assert df["家庭成员"].tolist() == ["张大明", "", "", ""]
    assert df["列9"].tolist() == ["父亲", "", "", ""]
    assert df["BZ"].tolist() == ["", "3.5", "TRUE", "2024-05-06 07:08:09"]
    assert df["列11"].tolist() == ["", "", "", "表头外的数据"]
    assert not df.isna().any().any()  # missing is "", never NaN


def test_xlsx_report_rows_sheet_and_fields(roster, layout_path):
    rep = load_report(read_table(roster, layout_path))
    assert rep.format == "xlsx" and rep.records == 4
    assert rep.extra["sheet"] == "学生信息"
    assert rep.extra["workbook_sheets"] == ["说明", "学生信息"]
    assert [(s["name"], s["records"], s["header_row"]) for s in rep.extra["sheets"]] == [("学生信息", 4, 3)]
    assert rep.extra["skipped_sheets"] == [{"name": "说明", "reason": "没有与版式相符的表头行"}]
    assert "source_sheets" not in rep.extra and "工作表" not in read_table(roster, layout_path).columns
    assert rep.extra["header_row"] == 3
    assert [t["row"] for t in rep.extra["title_rows"]] == [1]
    assert "某某区第一小学" in rep.extra["title_rows"][0]["text"]
    assert rep.extra["source_rows"].tolist() == [4, 5, 7, 8]
    assert rep.extra["blank_rows"] == 1 and rep.extra["trailing_blank_rows"] == 1
    assert rep.extra["missing_fields"] == ["JTDZ"]
    assert rep.extra["unmatched_columns"] == ["家庭成员", "列9", "列11"]
    by_name = {f.name: f.source_name for f in rep.fields}
    assert by_name["XM"] == "姓名★" and by_name["SFZJH"] == "身份证件号" and by_name["列9"] == ""
    blank = warning(rep, "BLANK_ROWS")
    assert blank.count == 1 and blank.examples[0][0] == 6


def test_xlsx_warnings_name_rows_and_mask_ids(roster, layout_path):
    rep = load_report(read_table(roster, layout_path))
    dmg = warning(rep, "EXCEL_NUMBER_DAMAGED", "SFZJH")
    assert dmg.count == 3
    assert [e[0] for e in dmg.examples] == [4, 7, 8]  # spreadsheet rows, as Excel shows them
    assert dmg.examples[0][2] == "110105********0000"
    assert "身份证件号" in dmg.message and "15–17 位" in dmg.message and "重新录入" in dmg.message
    serial = warning(rep, "EXCEL_SERIAL_DATE", "CSRQ")
    assert (serial.count, serial.examples[0][0], serial.examples[0][2]) == (1, 5, "20120401")
    assert warning(rep, "EXCEL_SERIAL_DATE", "RXNY").examples[0][:1] == (8,)
    apo = warning(rep, "LEADING_APOSTROPHE", "SFZJH")
    assert apo.count == 1 and apo.examples[0][0] == 5 and apo.examples[0][2] == "110105********002X"
    zeros = warning(rep, "NUMBER_FORMAT_ZEROS", "XJFH")
    assert zeros.examples[0][:1] == (4,)
    blank_header = warning(rep, "BLANK_HEADER")
    assert blank_header.count == 2 and {e[1] for e in blank_header.examples} == {"列9", "列11"}
    assert {"EXCEL_SERIAL_DATE", "LEADING_APOSTROPHE"} <= INFO_CODES
    assert "EXCEL_NUMBER_DAMAGED" not in INFO_CODES
    everything = rep.summary() + repr(rep.warnings) + rep.warnings_frame().to_string()
    for full in (str(ID_DAMAGED), str(ID_DAMAGED_2), ID_TEXT, "13900002222"):
        assert full not in everything


def test_fast_scanner_and_openpyxl_agree(roster, layout_path, monkeypatch):
    fast = read_table(roster, layout_path)
    monkeypatch.setattr(xlsx, "_USE_FAST_XLSX", False)
    slow = read_table(roster, layout_path)
    pd.testing.assert_frame_equal(fast, slow)
    rf, rs = load_report(fast), load_report(slow)
    assert rf.warnings == rs.warnings
    assert rf.extra.pop("xlsx_reader") == "scanner" and rs.extra.pop("xlsx_reader") == "openpyxl"
    assert rf.extra.pop("source_rows").tolist() == rs.extra.pop("source_rows").tolist()
    damaged = [{k: v.tolist() for k, v in r.extra.pop("damaged_cells", {}).items()} for r in (rf, rs)]
    assert damaged[0] == damaged[1]  # numpy arrays, as source_rows
    assert rf.extra == rs.extra


def test_scanner_reads_every_cell_form(tmp_path, monkeypatch):
    """Cell forms other writers produce: rich text with phonetic runs, XML entities, a formula's text
    result, booleans, errors, ISO dates, cells and rows without r, attributes in another order."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["C2"] = dt.date(2018, 9, 1)
    ws["D2"] = 42
    ws["D2"].number_format = "00000"
    src = tmp_path / "src.xlsx"
    wb.save(src)
    with zipfile.ZipFile(src) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    date_s = re.search(r'<c r="C2" s="(\d+)"', xml).group(1)
    zero_s = re.search(r'<c r="D2" s="(\d+)"', xml).group(1)
    head = "".join(
        f'<c r="{c}1" t="inlineStr"><is><t>{h}</t></is></c>' for c, h in zip("ABCD", ["姓名", "备注", "日期", "编号"])
    )
    rows = (
        f'<row r="1">{head}</row>'
        '<row r="2"><c t="inlineStr" r="A2"><is><r><t>张</t></r>'
        '<r><rPr><b/></rPr><t xml:space="preserve">三 </t></r><rPh sb="0" eb="1"><t>ZHANG</t></rPh></is></c>'
        '<c r="B2" t="str"><f>A1&amp;"x"</f><v>a&amp;b &lt;c&gt;</v></c>'
        f'<c r="C2" t="n" s="{date_s}"><v>43344</v></c><c r="D2" s="{zero_s}"><v>42</v></c></row>'
        '<row><c t="inlineStr"><is><t>李四</t></is></c><c t="b"><v>1</v></c><c><v>-3.25</v></c>'
        '<c t="e"><v>#DIV/0!</v></c></row>'
        '<row r="5" spans="1:4"><c r="A5" t="inlineStr" cm="1"><is><t>王五</t></is></c>'
        '<c r="C5" t="d"><v>2019-09-01T00:00:00</v></c><c r="D5"><v>110105201201030013</v></c></row>'
    )
    xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", f"<sheetData>{rows}</sheetData>", xml, flags=re.S)
    p = tmp_path / "各种单元格.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w") as zout:
        for item in zin.infolist():
            zout.writestr(item, xml if item.filename == "xl/worksheets/sheet1.xml" else zin.read(item.filename))
    fast = read_table(p)
    assert load_report(fast).extra["xlsx_reader"] == "scanner"
    assert fast.to_dict("list") == {
        "姓名": ["张三 ", "李四", "王五"],
        "备注": ["a&b <c>", "TRUE", ""],
        "日期": ["2018-09-01", "-3.25", "2019-09-01"],
        "编号": ["00042", "#DIV/0!", "110105201201030013"],
    }
    assert load_report(fast).extra["source_rows"].tolist() == [2, 3, 5]
    monkeypatch.setattr(xlsx, "_USE_FAST_XLSX", False)
    slow = read_table(p)
    assert load_report(slow).extra["xlsx_reader"] == "openpyxl"
    pd.testing.assert_frame_equal(fast, slow)
    assert load_report(fast).warnings == load_report(slow).warnings


def test_rows_gathered_in_blocks_give_the_same_frame(roster, layout_path, monkeypatch):
    whole = read_table(roster, layout_path)
    monkeypatch.setattr(assemble, "CHUNK_ROWS", 1)  # every row its own Arrow block; 列11 appears in the last
    pd.testing.assert_frame_equal(read_table(roster, layout_path), whole)


def test_xlsx_without_layout_keeps_header_texts_and_iso_dates(roster):
    df = read_table(roster)
    rep = load_report(df)
    assert rep.extra["sheet"] == "学生信息"  # the 说明 sheet has no header row
    assert list(df.columns)[:7] == ["姓名", "性别", "出生日期", "身份证件号", "入学年月", "学籍辅号", "联系电话"]
    assert df["出生日期"].tolist() == ["2012-03-05", "41000", "2012年1月1日", "20120101"]
    assert df["入学年月"].tolist() == ["2018-09-01", "2018-09", "201809", "43344"]
    assert "missing_fields" not in rep.extra
    # without a layout the ID column is still recognised as personal by its header text
    dmg = warning(rep, "EXCEL_NUMBER_DAMAGED", "身份证件号")
    assert dmg.examples[0][2] == "110105********0000"


def test_sheet_argument_and_bad_sheet(roster, layout_path):
    df = read_table(roster, sheet="学生信息")
    assert load_report(df).extra["sheet"] == "学生信息"
    df = read_table(roster, layout_path, sheet=1)
    assert load_report(df).records == 4
    with pytest.raises(FileFormatError, match="没有名为“花名册”的工作表") as exc:
        read_table(roster, sheet="花名册")
    assert "学生名单.xlsx" in str(exc.value)
    with pytest.raises(FileFormatError, match="没有第 5 个工作表"):
        read_table(roster, sheet=5)
    # the 说明 sheet has no header that matches the layout
    with pytest.raises(FileFormatError, match="找不到与版式“测试学生名单”相符的表头行") as exc:
        read_table(roster, layout_path, sheet="说明")
    assert "说明" in str(exc.value) and "学生名单.xlsx" in str(exc.value)


def test_layout_sheet_choice_prefers_best_header_and_visible_sheets(tmp_path, layout_path):
    wb = openpyxl.Workbook()
    codes = wb.active
    codes.title = "代码表"
    codes.append(["性别", "男", "女"])
    codes.append(["姓名", "出生日期", "备注", "性别"])  # as good a match as 名单, but the sheet is hidden
    codes.append(["x", "y", "z"])
    codes.sheet_state = "hidden"
    other = wb.create_sheet("汇总")
    other.append(["姓名", "人数"])
    other.append(["合计", 2])
    data = wb.create_sheet("名单")
    data.append(["姓名", "性别", "身份证号", "出生日期"])
    data.append(["甲", "男", ID_TEXT, "20120101"])
    p = tmp_path / "多表.xlsx"
    wb.save(p)
    df = read_table(p, layout_path)
    rep = load_report(df)
    assert rep.extra["sheet"] == "名单"
    assert list(df.columns) == ["XM", "XB", "SFZJH", "CSRQ"]  # alias 身份证号 → SFZJH
    assert df.iloc[0].tolist() == ["甲", "男", ID_TEXT, "20120101"]
    assert read_table(p, sheet="汇总")["人数"].tolist() == ["2"]


def test_duplicate_headers_and_trailing_notes(tmp_path, layout_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "出生日期（YYYYMMDD）", "姓名", "备注", "备注"])
    ws.append(["甲", dt.date(2012, 1, 2), "乙", "a", "b"])
    p = tmp_path / "重复.xlsx"
    wb.save(p)
    df = read_table(p, layout_path)
    assert list(df.columns) == ["XM", "CSRQ", "XM_2", "BZ", "BZ_2"]
    assert df.iloc[0].tolist() == ["甲", "20120102", "乙", "a", "b"]
    dups = [w for w in load_report(df).warnings if w.code == "DUPLICATE_HEADER"]
    assert [w.field for w in dups] == ["XM_2", "BZ_2"]
    assert "第 A 列" in dups[0].message and "第 C 列" in dups[0].message


def test_formula_without_cached_value_and_error_cells(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "年龄"])
    ws.append(["甲", "=1+1"])  # openpyxl saves the formula without a result
    ws.append(["乙", 12])
    ws["B4"] = "#N/A"
    ws["B4"].data_type = "e"
    ws["A4"] = "丙"
    p = tmp_path / "公式.xlsx"
    wb.save(p)
    df = read_table(p)
    assert df["年龄"].tolist() == ["", "12", "#N/A"]
    rep = load_report(df)
    assert warning(rep, "FORMULA_NO_VALUE", "年龄").examples[0][0] == 2
    assert warning(rep, "EXCEL_ERROR_VALUE", "年龄").examples[0][0] == 4


def test_full_long_number_written_by_a_program_is_kept_and_flagged(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["姓名", "证件号码"])
    ws.append(["甲", 12345])
    src = tmp_path / "tmp.xlsx"
    wb.save(src)
    # a program (not Excel) wrote all 18 digits into a number cell: patch the sheet XML to say so
    p = tmp_path / "长数字.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>12345</v>" in data
                data = data.replace(b"<v>12345</v>", b"<v>110105201201010012</v>")
            zout.writestr(item, data)
    df = read_table(p)
    assert df["证件号码"].tolist() == ["110105201201010012"]
    w = warning(load_report(df), "LONG_NUMBER_CELL", "证件号码")
    assert w.examples[0][2] == "110105********0012"


# -- CSV -----------------------------------------------------------------------------------------------

CSV_TEXT = (
    "某某中学学生名单,,,\r\n"
    "姓名,身份证件号,出生日期,学籍辅号\r\n"
    '张三,\'11010520120101002X,20120101,="00123"\r\n'
    "李四,1.10105E+17,2012/1/2,00456\r\n"
    ",,,\r\n"
    "王五,110105201201030013,2012-01-03,\r\n"
)


def test_csv_gbk(tmp_path, layout_path):
    p = tmp_path / "名单.csv"
    p.write_bytes(CSV_TEXT.encode("gbk"))
    df = read_table(p, layout_path)
    rep = load_report(df)
    assert rep.format == "csv" and rep.encoding == "gb18030"
    assert list(df.columns) == ["XM", "SFZJH", "CSRQ", "XJFH"]
    assert df["XM"].tolist() == ["张三", "李四", "王五"]
    assert df["SFZJH"].tolist() == [ID_TEXT, "1.10105E+17", "110105201201030013"]
    assert df["CSRQ"].tolist() == ["20120101", "2012/1/2", "2012-01-03"]  # text dates as typed
    assert df["XJFH"].tolist() == ["00123", "00456", ""]
    assert rep.extra["header_row"] == 2 and rep.extra["source_rows"].tolist() == [3, 4, 6]
    assert rep.extra["blank_rows"] == 1 and rep.extra["delimiter"] == ","
    assert warning(rep, "EXCEL_NUMBER_DAMAGED", "SFZJH").examples == ((4, "SFZJH", "1.1010*E+17"),)  # masked
    assert warning(rep, "LEADING_APOSTROPHE", "SFZJH").examples == ((3, "SFZJH", "110105********002X"),)
    assert warning(rep, "FORMULA_TEXT", "XJFH").examples == ((3, "XJFH", "00123"),)


def test_csv_utf8_bom_tab_and_encoding_override(tmp_path):
    p = tmp_path / "名单.csv"
    p.write_bytes(b"\xef\xbb\xbf" + "姓名,性别\n张三,男\n".encode())
    df = read_table(p)
    assert list(df.columns) == ["姓名", "性别"]  # no BOM glued to the first header
    assert load_report(df).encoding == "utf-8-sig"
    t = tmp_path / "名单.txt"
    t.write_bytes("姓名\t性别\n李四\t女\n".encode("utf-16"))
    df = read_table(t)
    assert df.iloc[0].tolist() == ["李四", "女"] and load_report(df).extra["delimiter"] == "\t"
    g = tmp_path / "gbk.csv"
    g.write_bytes("姓名,性别\n张三,男\n".encode("gbk"))
    assert load_report(read_table(g, encoding="gbk")).encoding == "gbk"
    with pytest.raises(FileFormatError, match="按指定的编码 utf-8 解码失败") as exc:
        read_table(g, encoding="utf-8")
    assert "gbk.csv" in str(exc.value)


# -- errors --------------------------------------------------------------------------------------------


def test_errors_name_the_file(tmp_path, layout_path):
    with pytest.raises(FileNotFoundError, match="找不到文件"):
        read_table(tmp_path / "没有.xlsx")
    bad = tmp_path / "坏.xlsx"
    bad.write_bytes(b"this is not a zip file at all")
    with pytest.raises(FileFormatError, match="不是有效的 .xlsx") as exc:
        read_table(bad)
    assert "坏.xlsx" in str(exc.value)
    truncated = tmp_path / "截断.xlsx"
    make_roster(tmp_path / "full.xlsx")
    truncated.write_bytes((tmp_path / "full.xlsx").read_bytes()[:3000])
    with pytest.raises(FileFormatError, match="截断.xlsx"):
        read_table(truncated)
    empty = tmp_path / "空.xlsx"
    empty.write_bytes(b"")
    with pytest.raises(FileFormatError, match="0 字节"):
        read_table(empty)
    (tmp_path / "空.csv").write_bytes(b"")
    with pytest.raises(FileFormatError, match="0 字节"):
        read_table(tmp_path / "空.csv")
    xls = tmp_path / "旧.xls"
    xls.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    with pytest.raises(FileFormatError, match="另存为") as exc:
        read_table(xls)
    assert "旧.xls" in str(exc.value) and ".xls" in str(exc.value)
    html_xls = tmp_path / "网页.xls"
    html_xls.write_bytes("<html><table><tr><td>姓名</td></tr></table></html>".encode())
    with pytest.raises(FileFormatError, match="网页"):
        read_table(html_xls)
    wb = openpyxl.Workbook()
    wb.active.title = "空表"
    wb.save(tmp_path / "空表.xlsx")
    with pytest.raises(FileFormatError, match="工作表“空表”是空的"):
        read_table(tmp_path / "空表.xlsx")
    wb = openpyxl.Workbook()
    wb.active.append(["只有一个格子"])
    wb.save(tmp_path / "无表头.xlsx")
    with pytest.raises(FileFormatError, match="找不到表头行"):
        read_table(tmp_path / "无表头.xlsx")
    other = tmp_path / "别的表.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["课程", "学分"])
    wb.active.append(["数学", 4])
    wb.save(other)
    with pytest.raises(FileFormatError, match="都找不到与版式“测试学生名单”相符的表头行") as exc:
        read_table(other, layout_path)
    assert "别的表.xlsx" in str(exc.value)
    with pytest.raises(FileFormatError, match="不支持的文件类型"):
        (tmp_path / "a.pdf").write_bytes(b"%PDF")
        read_table(tmp_path / "a.pdf")


def test_xls_that_is_really_text_is_read(tmp_path):
    p = tmp_path / "导出.xls"
    p.write_bytes("姓名\t学号\n张三\t00123\n".encode("gbk"))
    df = read_table(p)
    assert df.iloc[0].tolist() == ["张三", "00123"]
    assert "文本" in load_report(df).extra["note"]


def test_xlsx_saved_under_xls_name_is_read(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "学号"])
    wb.active.append(["张三", "00123"])
    p = tmp_path / "其实是新格式.xls"
    wb.save(p)
    assert read_table(p).iloc[0].tolist() == ["张三", "00123"]


# -- write_excel -----------------------------------------------------------------------------------------


def sample_frames():
    students = pd.DataFrame(
        {
            "身份证件号": pd.array([ID_TEXT, "110105201201030013", None], dtype="str"),
            "学号": pd.array(["00123", "00456", "00789"], dtype="str"),
            "联系电话": pd.array(["13800001111", "", "13900002222"], dtype="str"),
            "姓名": pd.array(["张三", "李四", "=SUM(A1:A2)"], dtype="str"),
            "年龄": [12, 13, 14],
            "身高": [150.5, float("nan"), 160.0],
            "入学日期": pd.to_datetime(["2018-09-01", None, "2019-09-01"]),
        }
    )
    empty = pd.DataFrame({"问题": pd.array([], dtype="str"), "行号": pd.array([], dtype="int64")})
    return {"学生名单": students, "问题清单": empty}


def test_write_excel_cells_and_layout(tmp_path):
    out = write_excel(sample_frames(), tmp_path / "输出.xlsx", text_columns=["年龄"])
    assert out == tmp_path / "输出.xlsx"
    assert [p.name for p in tmp_path.iterdir()] == ["输出.xlsx"]  # no temporary file left
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["学生名单", "问题清单"]
    ws = wb["学生名单"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:G4"
    assert [c.value for c in ws[1]] == ["身份证件号", "学号", "联系电话", "姓名", "年龄", "身高", "入学日期"]
    assert all(c.font.b for c in ws[1])
    assert ws["A2"].value == ID_TEXT and ws["A2"].data_type == "s"
    assert ws["A3"].value == "110105201201030013" and ws["A3"].data_type == "s"
    assert ws["A4"].value is None
    assert ws["B2"].value == "00123" and ws["B2"].data_type == "s" and ws["B2"].number_format == "@"
    assert ws["C2"].data_type == "s" and ws["C3"].value is None
    assert ws["D4"].value == "=SUM(A1:A2)" and ws["D4"].data_type == "s"  # never turned into a formula
    assert ws["E2"].value == "12" and ws["E2"].data_type == "s"  # text_columns
    assert ws["F2"].value == 150.5 and ws["F2"].data_type == "n" and ws["F3"].value is None
    assert ws["G2"].value == dt.datetime(2018, 9, 1) and ws["G2"].number_format == "yyyy-mm-dd"
    assert ws["G3"].value is None
    assert 20 <= ws.column_dimensions["A"].width <= 50
    empty = wb["问题清单"]
    assert [c.value for c in empty[1]] == ["问题", "行号"] and empty.max_row == 1
    assert empty.auto_filter.ref == "A1:B1"


@pytest.mark.parametrize("streaming", [False, True])
def test_write_then_read_round_trip(tmp_path, monkeypatch, streaming):
    if streaming:  # big outputs are streamed (xlsxwriter constant_memory, inline strings)
        monkeypatch.setattr(excel_writer, "_CONSTANT_MEMORY_CELLS", 0)
    frames = sample_frames()
    out = write_excel(frames, tmp_path / "往返.xlsx")
    back = read_table(out, sheet="学生名单")
    src = frames["学生名单"]
    assert back["身份证件号"].tolist() == [ID_TEXT, "110105201201030013", ""]
    assert back["学号"].tolist() == src["学号"].tolist()
    assert back["联系电话"].tolist() == src["联系电话"].tolist()
    assert back["姓名"].tolist() == src["姓名"].tolist()
    assert back["年龄"].tolist() == ["12", "13", "14"]
    assert back["身高"].tolist() == ["150.5", "", "160"]
    assert back["入学日期"].tolist() == ["2018-09-01", "", "2019-09-01"]
    assert load_report(back).warnings == ()
    # a frame that came from read_table goes back out unchanged
    again = read_table(write_excel({"名单": back}, tmp_path / "再写.xlsx"))
    pd.testing.assert_frame_equal(again, back)


def test_write_excel_big_integers_stay_exact(tmp_path):
    df = pd.DataFrame({"证件号码": [110105201201030013, 110105201201010012]})
    ws = openpyxl.load_workbook(write_excel({"表": df}, tmp_path / "大数.xlsx"))["表"]
    assert ws["A2"].value == "110105201201030013" and ws["A2"].data_type == "s"


def test_write_excel_rejects_bad_names_and_keeps_old_file(tmp_path):
    target = tmp_path / "旧.xlsx"
    target.write_bytes(b"old contents")
    df = pd.DataFrame({"a": ["1"]})
    for bad, what in [("学生/名单", "不允许的字符"), ("a" * 32, "31"), ("", "不能为空"), ("'x", "撇号")]:
        with pytest.raises(WriteError, match=what) as exc:
            write_excel({bad: df}, target)
        assert "旧.xlsx" in str(exc.value)
    with pytest.raises(WriteError, match="重复"):
        write_excel({"Sheet": df, "sheet": df}, target)
    with pytest.raises(WriteError, match="扩展名"):
        write_excel({"表": df}, tmp_path / "x.xls")
    with pytest.raises(WriteError, match="不存在"):
        write_excel({"表": df}, target, text_columns=["没有这列"])
    with pytest.raises(WriteError, match="32767"):
        write_excel({"表": pd.DataFrame({"a": ["x" * 40000]})}, target)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["旧.xlsx"]


def test_write_excel_failure_mid_write_leaves_no_partial_file(tmp_path, monkeypatch):
    target = tmp_path / "名单.xlsx"
    target.write_bytes(b"old contents")
    import xueji_lib.io.excel_writer as excel_writer

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(excel_writer, "_rows_xml", boom)  # the rows, once the workbook's other parts are written
    with pytest.raises(RuntimeError):
        write_excel({"表": pd.DataFrame({"n": [1, 2]})}, target)
    assert target.read_bytes() == b"old contents"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["名单.xlsx"]


def test_write_excel_replaces_existing_file(tmp_path):
    target = tmp_path / "名单.xlsx"
    write_excel({"一": pd.DataFrame({"a": ["1"]})}, target)
    write_excel({"二": pd.DataFrame({"b": ["2"]})}, target)
    assert openpyxl.load_workbook(target).sheetnames == ["二"]
    assert zipfile.is_zipfile(target)
