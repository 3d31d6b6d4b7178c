"""Issue 16 §1, 2, 5, 7, 8: the validator checks the rules the source documents state, as they state them.

- 000 (platform handbook): "可以比系统规定的标准表结构多一些字段，但绝对不能少字段"; "系统会提示您缺失或者有误的字段".
- 004 (深圳 notice): "港澳台身份证一律用“11113”+学号替代，例如学号为“09102056”的学生，身份证号填写“1111309102056”";
  "凡是字母、数字禁止用中文输入法下的全角输入,含有字母的必须大写"; 家庭地址 "××省××市××区(县)××乡镇(街道)××村(社区)";
  邮政编码, 电话.
- 004 (慈利营养办, 一年级建档): "无身份证号码问题较为突出"; 《无身份证号学生在校就读证明表》.

All data synthetic: ID numbers built with valid check digits by ``core.ids``.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.errors import LayoutError
from xueji_lib.core.ids import make_ids
from xueji_lib.schema.layouts import Layout

XUEJI = Path(sys.executable).with_name("xueji")
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周杰", "吴敏"]


def rules_at(res, row):
    f = res.findings
    return set(f.loc[f.row == row, "rule"])


def of_rule(res, rule):
    return res.findings[res.findings.rule == rule]


def registration(n=6):
    """A clean 新生注册 frame with every field of chsi_registration."""
    ids = make_ids(np.full(n, 430102), np.full(n, 20080517), np.arange(1, n + 1) * 2 + 1)
    return pd.DataFrame(
        {
            "KSH": [f"2643010211{i:04d}" for i in range(n)],
            "XH": [f"2026{i:04d}" for i in range(n)],
            "XM": NAMES[:n],
            "XB": ["男"] * n,
            "CSRQ": ["20080517"] * n,
            "SFZH": ids.tolist(),
            "ZZMM": ["共青团员"] * n,
            "MZ": ["汉族"] * n,
            "YXDM": ["19999"] * n,
            "YXMC": ["华夏示范大学"] * n,
            "ZYDM": ["080901"] * n,
            "ZYMC": ["计算机科学与技术"] * n,
            "FY": ["信息学院"] * n,
            "XSH": ["计算机系"] * n,
            "BH": ["RJ2601"] * n,
            "CC": ["本科"] * n,
            "XZ": ["4"] * n,
            "XXXS": ["普通全日制"] * n,
            "RXRQ": ["20260901"] * n,
            "YJBYRQ": ["20300630"] * n,
            "BZ": [""] * n,
        }
    )


def k12(n=4):
    """A clean 中小学 roster (k12_student), one school, first grade."""
    ids = make_ids(np.full(n, 430121), np.full(n, 20190501), np.arange(1, n + 1) * 2 + 1)
    return pd.DataFrame(
        {
            "XXBSM": ["2143012901"] * n,
            "XXMC": ["示范县第一小学"] * n,
            "XJH": ("G" + ids).tolist(),
            "XM": NAMES[:n],
            "XB": ["1"] * n,
            "CSRQ": ["20190501"] * n,
            "SFZJLX": ["1"] * n,
            "SFZJH": ids.tolist(),
            "GATQW": ["00"] * n,
            "MZ": ["01"] * n,
            "NJ": ["11"] * n,
            "BJ": ["1班"] * n,
            "RXNY": ["202509"] * n,
            "JTDZ": ["湖南省长沙市岳麓区麓山街道桃子湖社区12号"] * n,
            "LXDH": ["13873548310"] * n,
            "YZBM": ["410100"] * n,
        }
    ).assign(**K12_REST)


K12_REST = dict(  # the other required columns of the template, filled as a school fills them
    CSDXZQ="430121", JG="湖南长沙", GJ="CHN", JKZK="10", HKSZDXZQH="430121", HKXZ="1", RXFS="11", JDFS="1",
    XZZ="湖南省长沙市长沙县星沙街道开元路8号", TXDZ="湖南省长沙市长沙县星沙街道开元路8号",
    SFDSZN="0", SFSGXQJY="1", SFLSET="0", SFSQZN="0", SFGE="0", SFLSHYFZN="0",
)  # fmt: skip


def write_with(df, path, layout="chsi_registration", drop=(), widths=None):
    """``df`` as a DBF whose structure is the layout's without the fields ``drop`` and with other ``widths``."""
    lay = xj.load_layout(layout)
    fields = tuple(
        dataclasses.replace(f, width=(widths or {}).get(f.code, f.width), required=False)
        for f in lay.fields
        if f.code not in drop
    )
    own = Layout("test_" + layout, "测试结构", "dbf", fields)
    return xj.write_dbf(df[[f.code for f in fields]], path, own)


# ------------------------------------------------------------------------------------------ 1. structure


def test_a_registration_dbf_missing_fields_with_narrow_fields_fails_the_whole_file(tmp_path):
    """Issue 16 §1: missing XH, ZZMM, FY, XSH, BH, BZ; KSH C14 and XM C8 — it got "没有发现问题"."""
    df = registration()
    df["KSH"] = df["KSH"].str.slice(0, 14)
    path = write_with(
        df, tmp_path / "注册.dbf", drop=("XH", "ZZMM", "FY", "XSH", "BH", "BZ"), widths={"KSH": 14, "XM": 8}
    )
    res = xj.validate(xj.read_dbf(path), "chsi_registration", year=2026, category="10")
    assert not res.structure_ok and res.failed.all() and res.passed_count == 0
    missing = of_rule(res, "STRUCT_MISSING_OPTIONAL")
    assert set(missing.field) == {"XH", "ZZMM", "FY", "XSH", "BH", "BZ"}
    assert set(missing.severity) == {"error"} and missing.row.isna().all()
    assert "缺少标准结构中的字段 XH（学号）" in set(missing.message.str.split("。").str[0])
    width = of_rule(res, "STRUCT_FIELD_WIDTH").set_index("field")
    assert set(width.index) == {"KSH", "XM"} and set(width.severity) == {"warning"}
    assert "文件中为 C14，标准结构为 C18" in width.loc["KSH", "message"]
    assert "截断" in width.loc["XM", "message"]
    text = res.summary()
    assert "没有发现问题" not in text and "缺少标准结构中的字段 XH（学号）、ZZMM（政治面貌）" in text
    assert "整个文件不能上传" in text
    assert all("缺少标准结构中的字段 XH（学号）" in r for r in res.reasons())
    assert "缺少标准结构中的字段" in res.structure_text()


def test_the_cli_exits_1_for_a_dbf_lacking_an_optional_field(tmp_path):
    path = write_with(registration(), tmp_path / "注册.dbf", drop=("BZ",))
    proc = subprocess.run(
        [str(XUEJI), "validate", str(path), "--layout", "chsi_registration", "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "STRUCT_MISSING_OPTIONAL" in proc.stdout


def test_a_wider_field_is_an_error_only_where_values_do_not_fit(tmp_path):
    df = registration()
    path = write_with(df, tmp_path / "宽.dbf", widths={"ZYMC": 80})
    res = xj.validate(xj.read_dbf(path), "chsi_registration", year=2026, category="10")
    assert res.structure_ok and res.failed_count == 0
    w = of_rule(res, "STRUCT_FIELD_WIDTH")
    assert w.field.tolist() == ["ZYMC"] and "都放得下" in w.message.iloc[0]
    df.loc[2, "ZYMC"] = "计算机科学与技术（人工智能与大数据方向）（中外合作办学）"  # 56 GBK bytes
    path = write_with(df, tmp_path / "宽2.dbf", widths={"ZYMC": 80})
    res = xj.validate(xj.read_dbf(path), "chsi_registration", year=2026, category="10")
    over = of_rule(res, "STRUCT_FIELD_OVERFLOW")
    assert over.field.tolist() == ["ZYMC"] and over.severity.tolist() == ["error"]
    assert "C80" in over.message.iloc[0] and "1 条记录" in over.message.iloc[0]
    assert rules_at(res, 3) == {"FIELD_TOO_LONG"} and res.failed_count == 1


def test_complete_structure_applies_to_dbf_uploads_only():
    # a frame (a sheet, a script) lacking optional fields: xueji writes the upload with every field
    res = xj.validate(registration().drop(columns=["XH", "BZ"]), "chsi_registration", year=2026, category="10")
    assert res.structure_ok and of_rule(res, "STRUCT_MISSING_OPTIONAL").empty
    # lists downloaded from the platform are not uploads: only their required fields
    assert xj.load_layout("chsi_admission").structure_rule == "required"
    assert xj.load_layout("chsi_registration").structure_rule == "complete"
    assert xj.load_layout("k12_student").structure_rule == "required"


def test_complete_structure_for_the_admission_download_is_not_asked(tmp_path):
    lay = xj.load_layout("chsi_admission")
    adm = pd.DataFrame({f.code: [""] for f in lay.fields if f.required}).assign(
        KSH="26430102110001", XM="张伟", XBDM="1", YXDM="19999", CC="本科", LQNF="2026", XLLB="10"
    )
    fields = tuple(f for f in lay.fields if f.required)
    path = xj.write_dbf(adm, tmp_path / "录取.dbf", Layout("adm_min", "录取", "dbf", fields))
    res = xj.validate(xj.read_dbf(path), "chsi_admission")
    assert res.structure_ok and of_rule(res, "STRUCT_MISSING_OPTIONAL").empty


# ------------------------------------------------------------------------------- 2. substitute ID numbers


def test_the_11113_number_of_the_notice_is_a_substitute_not_a_broken_id():
    df = registration()
    df.loc[1, ["XH", "SFZH", "MZ"]] = ["09102056", "1111309102056", "香港"]
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    assert rules_at(res, 2) == {"SFZH_SUBSTITUTE"} and res.failed_count == 0
    f = of_rule(res, "SFZH_SUBSTITUTE").iloc[0]
    assert f.severity == "info" and "11113+学号" in f.message and "不是居民身份证号" in f.message
    assert "1111309102056" not in f.message and "1111309102056" not in f.value  # masked as an ID number
    # the same shape with another 学号 is a mistyped number: the ID rules speak
    df.loc[1, "XH"] = "09102057"
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    assert "SFZH_LENGTH" in rules_at(res, 2) and "SFZH_SUBSTITUTE" not in rules_at(res, 2)


def test_k12_substitutes_where_type_or_hmt_says_so():
    df = k12(5)
    df.loc[0, ["SFZJH", "XJH"]] = ["1111309102056", "L201905010000000001"]  # no 学号 in the roster: the shape
    df.loc[1, ["SFZJLX", "GATQW", "SFZJH", "XJH"]] = ["1", "01", "H12345678", "L201905010000000002"]
    df.loc[2, ["SFZJH", "XJH"]] = ["H87654321", "L201905010000000003"]  # nothing says 香港: stays an error
    df.loc[3, ["SFZJLX", "GATQW", "SFZJH", "XJH"]] = ["8", "05", "12345678", "L201905010000000004"]
    res = xj.validate(df, "k12_student")
    assert rules_at(res, 1) == {"SFZH_SUBSTITUTE"}
    # a 回乡证 number recognised by 港澳台侨外: not a broken 身份证号, but the 证件类型 is still wrong
    assert rules_at(res, 2) == {"SFZH_SUBSTITUTE", "SFZJLX_MISMATCH"}
    assert "回乡证" in of_rule(res, "SFZH_SUBSTITUTE").set_index("row").loc[2, "message"]
    assert rules_at(res, 3) == {"SFZJLX_MISMATCH"}
    assert rules_at(res, 4) == set()  # 台胞证 under its own 证件类型: nothing to say
    assert rules_at(res, 5) == set()


def test_a_user_adds_an_id_form(tmp_path, monkeypatch):
    df = registration()
    df.loc[0, "SFZH"] = "LS2026000123"
    assert "SFZH_LENGTH" in rules_at(xj.validate(df, "chsi_registration", year=2026, category="10"), 1)
    (tmp_path / "id_forms.csv").write_text(
        "code,name,pattern,equals,sfzjlx,gatqw,region,shape_alone,source\n"
        "ls,本校留学生临时编号,LS\\d{10},,,,,yes,本校学籍科规定\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XUEJI_CODES_PATH", str(tmp_path))
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    assert rules_at(res, 1) == {"SFZH_SUBSTITUTE"} and "本校留学生临时编号" in res.findings.message.iloc[0]


def test_a_broken_id_forms_file_is_named(tmp_path, monkeypatch):
    from xueji_lib.schema.id_forms import load_id_forms

    (tmp_path / "id_forms.csv").write_text("code,name,pattern\nx,坏,([\n", encoding="utf-8")
    monkeypatch.setenv("XUEJI_CODES_PATH", str(tmp_path))
    with pytest.raises(LayoutError, match="id_forms.csv 第 2 行"):
        load_id_forms()


# -------------------------------------------------------------------- 5. full-width and lower-case codes


def test_full_width_and_lower_case_in_codes_and_identifiers():
    df = registration()
    df.loc[0, "XH"] = "２０２６０１"
    df.loc[1, "BH"] = "ruanjian2601"
    df.loc[2, "KSH"] = "2643010211000２"
    df.loc[3, "ZYDM"] = "0809O1k"
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    full = of_rule(res, "FIELD_FULLWIDTH").set_index("row")
    lower = of_rule(res, "FIELD_LOWERCASE").set_index("row")
    assert sorted(full.index) == [1, 3] and sorted(lower.index) == [2, 4]
    assert full.loc[1, "field"] == "XH" and "半角“202601”" in full.loc[1, "message"]
    assert lower.loc[2, "field"] == "BH" and "“RUANJIAN2601”" in lower.loc[2, "message"]
    assert set(full.severity) | set(lower.severity) == {"error"}
    assert res.failed[[0, 1, 2, 3]].all() and not res.failed[[4, 5]].any()


def test_a_lower_case_student_number_keeps_the_id_number_masked():
    df = k12()
    df.loc[0, "XJH"] = "g" + df.loc[0, "SFZJH"]
    res = xj.validate(df, "k12_student")
    f = of_rule(res, "FIELD_LOWERCASE")
    assert f.row.tolist() == [1] and df.loc[0, "SFZJH"] not in f.message.iloc[0]


# ------------------------------------------------------------------------------ 7. pupils without an ID


def test_pupils_without_an_id_number_are_one_clear_finding_and_a_list(tmp_path):
    df = k12(6)
    df["BJ"] = ["1班", "1班", "2班", "2班", "2班", "1班"]
    df.loc[1, ["SFZJH", "XJH"]] = ["", "J" + make_ids([430121], [20190501], [31])[0]]  # 居民身份证, no number
    df.loc[3, ["SFZJLX", "SFZJH", "XJH"]] = ["", "", "L201905010000000011"]  # no type, no number
    df.loc[4, ["SFZJH", "XJH"]] = ["", "J" + make_ids([430121], [20190501], [33])[0]]
    df.loc[5, ["SFZJLX", "SFZJH", "XJH"]] = ["Z", "", "L201905010000000012"]  # 其他: may be blank
    res = xj.validate(df, "k12_student")
    miss = of_rule(res, "SFZH_MISSING")
    assert miss.row.tolist() == [2, 4, 5] and set(miss.severity) == {"error"}
    assert "《无身份证号学生在校就读证明表》" in miss.message.iloc[0]
    assert "居民身份证" in miss.message.iloc[0] and "没有填写身份证件类型" in miss.message.iloc[1]
    assert of_rule(res, "REQUIRED_EMPTY").field.tolist() == ["SFZJLX"]  # the blank type, not the number again
    assert rules_at(res, 6) == set()
    pupils = res.list("无身份证号学生").frame(brief=False)
    assert pupils["行号"].tolist() == [2, 4, 5] and pupils["姓名"].tolist() == ["王芳", "刘洋", "陈静"]
    assert pupils["班级"].tolist() == ["1班", "2班", "2班"] and set(pupils["学校"]) == {"示范县第一小学"}
    counts = res.list("无身份证号学生人数").frame(brief=False)
    assert counts[["班级", "无身份证号学生人数"]].values.tolist() == [["1班", 1], ["2班", 2], ["", 3]]
    res.save(tmp_path / "out")
    sheets = openpyxl.load_workbook(tmp_path / "out" / "校验结果.xlsx", read_only=True).sheetnames
    assert "无身份证号学生" in sheets


def test_no_such_list_for_a_university_file():
    res = xj.validate(registration(), "chsi_registration", year=2026, category="10")
    assert "无身份证号学生" not in [lst.title for lst in res.lists()]


# -------------------------------------------------------------------------------------- 8. field formats


def test_declared_formats_phone_postcode_address_school_id():
    df = k12(8)
    df.loc[0, "LXDH"] = "86543210"  # no area code
    df.loc[1, "LXDH"] = "0731-84567890"
    df.loc[2, "LXDH"] = "12873548310"  # 12…: no such mobile
    df.loc[3, "YZBM"] = "41010"
    df.loc[4, "JTDZ"] = "枫林镇荷花村2组"  # no province, no county
    df.loc[5, "JTDZ"] = "新疆维吾尔自治区乌鲁木齐市天山区幸福路街道12号"
    df.loc[6, ["XXBSM", "SFZJH"]] = ["214301290", df.loc[6, "SFZJH"]]
    df.loc[7, "LXDH"] = "13873548310/0731-84567890"
    res = xj.validate(df, "k12_student")
    fmt = of_rule(res, "FIELD_FORMAT").set_index("row")
    assert sorted(fmt.index) == [1, 3, 4, 5, 7]
    assert fmt.loc[1, "field"] == "LXDH" and fmt.loc[1, "severity"] == "warning" and "区号" in fmt.loc[1, "message"]
    assert "86543210" not in fmt.loc[1, "message"]  # a phone number is masked
    assert fmt.loc[4, "field"] == "YZBM" and fmt.loc[4, "severity"] == "error" and "6 位数字" in fmt.loc[4, "message"]
    assert fmt.loc[5, "field"] == "JTDZ" and "××省××市××区(县)" in fmt.loc[5, "message"]
    assert fmt.loc[7, "field"] == "XXBSM" and fmt.loc[7, "severity"] == "error"
    assert res.failed.tolist() == [False, False, False, True, False, False, True, False]


def test_a_bureau_declares_its_own_format_in_a_layout(tmp_path, monkeypatch):
    (tmp_path / "my.yml").write_text(
        "name: my_roster\ntitle: 本县花名册\nformat: excel\ncategory: k12\nfields:\n"
        "  - {code: XM, name: 姓名, type: C, width: 40, required: true}\n"
        "  - {code: BJ, name: 班级, type: C, width: 20, pattern: '\\d{4}级\\d{1,2}班', "
        "pattern_message: 应写成“2025级3班”, pattern_severity: error}\n"
        "  - {code: YZBM, name: 邮政编码, type: C, width: 6, format: postcode, pattern_severity: info}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XUEJI_LAYOUT_PATH", str(tmp_path))
    lay = xj.load_layout("my_roster")
    assert lay.field("BJ").pattern_severity == "error" and lay.field("YZBM").pattern == "[0-9]{6}"
    df = pd.DataFrame({"XM": ["张伟", "王芳"], "BJ": ["2025级3班", "三班"], "YZBM": ["410100", "4101"]})
    res = xj.validate(df, lay)
    f = of_rule(res, "FIELD_FORMAT")
    assert f[["row", "field", "severity"]].values.tolist() == [[2, "BJ", "error"], [2, "YZBM", "info"]]
    assert "应写成“2025级3班”" in f.message.iloc[0]


@pytest.mark.parametrize(
    "field_text, words",
    [
        ("{code: A, name: 甲, type: C, width: 5, format: fax}", "format 只能是"),
        ("{code: A, name: 甲, type: C, width: 5, pattern: '([', pattern_message: 坏}", "正则表达式"),
        ("{code: A, name: 甲, type: C, width: 5, pattern: '\\d+'}", "pattern_message"),
        (
            "{code: A, name: 甲, type: C, width: 5, pattern: '\\d+', pattern_message: x, pattern_severity: fatal}",
            "pattern_severity",
        ),
        ("{code: A, name: 甲, type: C, width: 5, label_field: B}", "label_field"),
    ],
)
def test_a_malformed_format_declaration_is_named(tmp_path, field_text, words):
    path = tmp_path / "bad.yml"
    path.write_text(f"name: bad\ntitle: 坏\nformat: excel\nfields:\n  - {field_text}\n", encoding="utf-8")
    with pytest.raises(LayoutError, match=words):
        xj.load_layout(path)


def test_school_code_and_name_that_disagree_across_records():
    df = k12(6)
    df.loc[4, "XXMC"] = "示范县一小"  # same code, another name
    df.loc[5, "XXBSM"] = "2143012909"  # same name, another code
    res = xj.validate(df, "k12_student")
    f = of_rule(res, "CODE_NAME_MISMATCH").set_index("row")
    assert sorted(f.index) == [5, 6] and set(f.severity) == {"warning"}
    assert f.loc[5, "field"] == "XXMC" and "“示范县一小”" in f.loc[5, "message"]
    assert (
        "学校标识码“2143012901”在其他 4 条记录（第 1、2、3、4 行）中的学校名称为“示范县第一小学”" in f.loc[5, "message"]
    )
    assert f.loc[6, "field"] == "XXBSM" and "“2143012909”" in f.loc[6, "message"]
    assert "学校名称“示范县第一小学”在其他 4 条记录" in f.loc[6, "message"]
    assert res.failed_count == 0


def test_clean_records_get_none_of_the_new_rules():
    new = {
        "STRUCT_MISSING_OPTIONAL", "STRUCT_FIELD_WIDTH", "STRUCT_FIELD_OVERFLOW", "FIELD_FULLWIDTH",
        "FIELD_LOWERCASE", "FIELD_FORMAT", "CODE_NAME_MISMATCH", "SFZH_SUBSTITUTE", "SFZH_MISSING",
    }  # fmt: skip
    for res in (xj.validate(k12(), "k12_student"), xj.validate(registration(), year=2026, category="10")):
        assert not (set(res.findings.rule) & new), res.findings
        assert {"FIELD_FULLWIDTH", "FIELD_LOWERCASE", "CODE_NAME_MISMATCH"} <= set(res.rules_run)
