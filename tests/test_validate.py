"""validate(): every planted problem of data_samples is found at its row, nothing on clean records, and each
rule on planted good and bad values."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import make_ids

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
PLANTED = pd.read_csv(SAMPLES / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
PARAMS = {
    "hei/10_注册上报.dbf": dict(category="10", year=2026),
    "hei/50_注册上报.dbf": dict(category="50", year=2026),
    # the hand-made 补报 file (issue 16 §1): validated against the standard upload structure
    "hei/10_注册上报_补报.dbf": dict(layout="chsi_registration", category="10", year=2026),
}
FILES = sorted(
    {f for f, e in zip(PLANTED.file, PLANTED.expected) if e.startswith("validate:")}
    | {"k12/毕业生_2026.xlsx", "k12/新生_2026秋.xlsx", "hei/50_录取名单.dbf"}
)
ID_RE = re.compile(r"\d{17}[\dXx]|\d{15}")


def load(rel):
    path = SAMPLES / rel
    return xj.read_dbf(path) if rel.endswith(".dbf") else xj.read_table(path, layout="k12_student")


@pytest.mark.parametrize("rel", FILES)
def test_planted_problems_found_and_clean_records_clean(rel):
    res = xj.validate(load(rel), **PARAMS.get(rel, {}))
    rows = res.findings[res.findings["row"].notna()]
    got = set(zip(rows["row"].astype(int), rows["rule"]))
    mine = PLANTED[PLANTED.file == rel]
    expected = {
        (int(r.row), r.expected.split(":", 1)[1])
        for r in mine.itertuples()
        if r.expected.startswith("validate:") and r.expected != "validate:OK" and r.row != ""
    }
    assert expected <= got, f"not found: {sorted(expected - got)}"
    # file-level problems of a DBF (its structure: empty row in planted.csv) are found for that field, and no other
    whole = res.findings[res.findings["row"].isna() & rel.endswith(".dbf")]
    planted_whole = {
        (r.expected.split(":", 1)[1], r.field)
        for r in mine.itertuples()
        if r.row == "" and r.expected.startswith("validate:")
    }
    assert set(zip(whole["rule"], whole["field"])) == planted_whole
    listed = {int(x) for x in mine.row if x != ""}
    assert {x for x in got if x[0] not in listed} == set(), "findings on records with nothing planted"
    ok_rows = {int(r.row) for r in mine.itertuples() if r.expected == "validate:OK"}
    assert {x for x in got if x[0] in ok_rows} == set(), "findings on rows that must pass (e.g. 港澳台居住证)"
    df = load(rel)
    assert res.passed_count + res.failed_count == res.total == len(df)
    id_col = next(c for c in ("SFZH", "SFZJH") if c in df.columns)
    raw_ids = {v.strip() for v in df[id_col].dropna() if len(v.strip()) >= 15}
    text = " ".join(res.findings[["key", "value", "message"]].astype(str).agg(" ".join, axis=1))
    assert not [v for v in raw_ids if v in text], "an ID number is shown unmasked"


# ----------------------------------------------------------------------------------------- small frames


def registration(n=6, **overrides):
    ids = make_ids(np.full(n, 430102), np.full(n, 20080517), np.arange(1, n + 1) * 2 + 1)  # odd: male
    df = pd.DataFrame(
        {
            "KSH": [f"2643010211{i:04d}" for i in range(n)],
            "XH": [f"2026{i:04d}" for i in range(n)],
            "XM": ["张三"] * n,
            "XB": ["男"] * n,
            "CSRQ": ["20080517"] * n,
            "SFZH": ids.tolist(),
            "MZ": ["汉族"] * n,
            "ZYMC": ["法学"] * n,
            "CC": ["本科"] * n,
            "XZ": ["4"] * n,
            "XXXS": ["普通全日制"] * n,
            "RXRQ": ["20260901"] * n,
        }
    )
    for col, values in overrides.items():
        for i, v in values.items():
            df.loc[i, col] = v
    return df


def rules_at(res, row):
    f = res.findings
    return set(f.loc[f["row"] == row, "rule"])


def test_clean_frame_passes_everything():
    res = xj.validate(registration(), "chsi_registration", year=2026, category="10")
    assert res.findings.empty and res.passed_count == 6 and res.failed.sum() == 0


@pytest.mark.parametrize(
    "value,rule",
    [
        ("43010220080517003", "SFZH_LENGTH"),
        ("4301022008051700A1", "SFZH_CHARS"),
        ("430102200802300031", "SFZH_BIRTH_INVALID"),
        ("990102200805170038", "SFZH_AREA_UNKNOWN"),
        ("430102 20080517003", "SFZH_SPACE"),
        ("４３０１０２２００８０５１７００３", "SFZH_FULLWIDTH"),
    ],
)
def test_id_rules(value, rule):
    res = xj.validate(registration(SFZH={2: value}), "chsi_registration", year=2026, category="10")
    assert rule in rules_at(res, 3)
    assert rules_at(res, 1) == set()
    assert res.failed[2] and not res.failed[0]


def test_id_checksum_names_the_right_check_character_and_lower_x():
    good = make_ids([110105], ["19491231"], [2])[0]  # ends in X; 7th from the end is 2 → female
    df = registration(
        SFZH={0: good[:17] + "5", 1: good[:17] + "x"}, CSRQ={0: "19491231", 1: "19491231"}, XB={0: "女", 1: "女"}
    )
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    msg = res.findings.loc[res.findings.rule == "SFZH_CHECKSUM", "message"].iloc[0]
    assert "末位应为 X" in msg and "11010519491231002" not in msg
    assert rules_at(res, 2) == {"SFZH_LOWER_X", "AGE_IMPLAUSIBLE"}


def test_id_agrees_with_birth_date_and_sex():
    res = xj.validate(registration(CSRQ={1: "20080518"}, XB={2: "女"}), "chsi_registration", year=2026, category="10")
    assert "SFZH_BIRTH_MISMATCH" in rules_at(res, 2) and "SFZH_SEX_MISMATCH" in rules_at(res, 3)
    msg = res.findings.loc[res.findings.rule == "SFZH_SEX_MISMATCH", "message"].iloc[0]
    assert "号码表示男" in msg and "“女”" in msg


def test_15_digit_id_is_reported_with_its_18_digit_form_masked():
    res = xj.validate(registration(SFZH={0: "430102080517003"}, CSRQ={0: "19080517"}), "chsi_registration")
    f = res.findings[res.findings.rule == "SFZH_15"]
    assert len(f) == 1 and "430102********0031"[:6] in f.message.iloc[0] and "应改为" not in f.message.iloc[0]
    assert "请改为 18 位号码：430102" in f.message.iloc[0]


def test_hong_kong_macau_taiwan_residence_permits_are_valid():
    hmt = make_ids([810000, 820000, 830000], ["20080517"] * 3, [3, 5, 7])
    res = xj.validate(
        registration(SFZH={0: hmt[0], 1: hmt[1], 2: hmt[2]}, MZ={0: "香港"}),
        "chsi_registration",
        year=2026,
        category="10",
    )
    assert res.findings.empty


def test_duplicates_point_at_each_other_and_fail_every_copy():
    df = registration(KSH={4: "26430102110000"}, SFZH={5: None})
    df.loc[5, "SFZH"] = df.loc[1, "SFZH"]
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    k = res.findings[res.findings.rule == "KSH_DUPLICATE"].set_index("row")
    assert list(k.index) == [1, 5] and "与第 5 行相同" in k.loc[1, "message"] and "与第 1 行相同" in k.loc[5, "message"]
    s = res.findings[res.findings.rule == "SFZH_DUPLICATE"]
    assert sorted(s.row.tolist()) == [2, 6] and res.failed[[0, 1, 4, 5]].all()


def test_ksh_rules():
    df = registration(
        KSH={
            0: "2543010211000X",
            1: "ZSB2026000001",
            2: "24990102110000",
            3: "2643010211000%",
            4: "1234567890123456789",
        }
    )
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    assert "KSH_SPECIAL" in rules_at(res, 1) and "KSH_SPECIAL" in rules_at(res, 2)
    assert {"KSH_YEAR", "KSH_PROVINCE"} <= rules_at(res, 3)
    assert "KSH_FORMAT" in rules_at(res, 4) and "KSH_FORMAT" in rules_at(res, 5)
    sev = res.findings.set_index("rule")["severity"]
    assert sev["KSH_SPECIAL"].iloc[0] == "info" and sev["KSH_YEAR"] == "warning"
    assert not res.failed[1]  # a special-category number is not an error


def test_digits_of_other_scripts_are_findings_not_a_crash():
    """Full-width or Arabic-Indic digits in 考生号 and 录取年份 (typed in another input method): findings on their
    rows, no exception (normalize.int_or_na takes only ASCII digits: a regex \\d would pass them to a cast that
    refuses them)."""
    df = registration(KSH={0: "٢٦٤٣٠١٠٢١١٠٠٠٠١", 1: "２６４３０１０２１１００００２"}, LQNF={2: "２０２６", 3: "٢٠٢٦"})
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    for row in (1, 2):
        assert rules_at(res, row), row
    assert res.failed[0] and res.failed[1]
    assert not res.failed[4]


def test_a_date_in_another_scripts_digits_is_not_a_valid_date():
    """出生日期 / 入学日期 in Arabic-Indic digits: DATE_INVALID (Python's int() reads those digits, so a regex \\d
    let them pass as a real date the platform would refuse); full-width digits are still read as the date."""
    df = registration(CSRQ={0: "٢٠٠٨٠٥١٧", 2: "２００８０５１７"}, RXRQ={1: "٢٠٢٦٠٩٠١"})
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    assert "DATE_INVALID" in rules_at(res, 1) and "DATE_INVALID" in rules_at(res, 2)
    assert "DATE_INVALID" not in rules_at(res, 3)


@pytest.mark.parametrize(
    "name,rule",
    [
        ("张 三", "XM_SPACE"),
        ("张三2", "XM_INVALID_CHAR"),
        ("Zhang三", "XM_INVALID_CHAR"),
        ("刘?", "XM_PLACEHOLDER"),
        ("阿依古丽•买买提", "XM_FULLWIDTH"),
        ("张", "XM_LENGTH"),
    ],
)
def test_name_rules(name, rule):
    res = xj.validate(registration(XM={3: name}), "chsi_registration", year=2026, category="10")
    assert rule in rules_at(res, 4)


def test_minority_and_rare_character_names_are_fine():
    res = xj.validate(registration(XM={0: "阿依古丽·买买提", 1: "刘䶮", 2: "欧阳娜娜"}), "chsi_registration")
    assert res.findings.empty


def test_codes_dates_and_category():
    df = registration(
        MZ={0: "汗族", 1: "毛难族", 2: "01"},
        XZ={3: "4年"},
        RXRQ={4: "20260931", 5: "2026-09-01"},
        XXXS={2: "函授"},
        CC={1: "硕士研究生"},
    )
    res = xj.validate(df, "chsi_registration", year=2026, category="10")
    assert rules_at(res, 1) == {"CODE_INVALID"} and "CODE_DEPRECATED" in rules_at(res, 2)
    assert "毛南族" in res.findings.loc[res.findings.rule == "CODE_DEPRECATED", "message"].iloc[0]
    assert rules_at(res, 3) == {"XXXS_CATEGORY"}  # "01" is accepted as the code of 汉族
    assert "CC_CATEGORY" in rules_at(res, 2)
    assert rules_at(res, 4) == {"CODE_INVALID"} and rules_at(res, 5) == {"DATE_INVALID"}
    assert "DATE_FORMAT" in rules_at(res, 6)


def test_category_from_the_xllb_column_of_an_admission_list():
    adm = pd.DataFrame(
        {
            "KSH": ["26430102110001", "26430102110002"],
            "XM": ["张三", "李四"],
            "XBDM": ["1", "2"],
            "YXDM": ["19999"] * 2,
            "CC": ["本科", "本科"],
            "XXXS": ["函授", "函授"],
            "LQNF": ["2026", "2026"],
            "XLLB": ["10", "50"],
        }
    )
    res = xj.validate(adm, "chsi_admission")
    assert rules_at(res, 1) == {"XXXS_CATEGORY"} and rules_at(res, 2) == set()


def test_structure_missing_required_field_fails_the_whole_file():
    res = xj.validate(registration().drop(columns=["XM"]).assign(EXTRA="x"), "chsi_registration")
    assert not res.structure_ok and res.failed.all() and res.passed_count == 0
    s = res.findings[res.findings.row.isna()].set_index("rule")
    assert "XM" in s.loc["STRUCT_MISSING_FIELD", "message"] and s.loc["STRUCT_EXTRA_FIELD", "severity"] == "info"
    assert all("缺少必填字段 XM" in r for r in res.reasons())


def test_values_too_long_for_the_upload_field():
    res = xj.validate(registration(ZYMC={0: "计算机科学与技术（人工智能与大数据方向）" * 2}), "chsi_registration")
    f = res.findings[res.findings.rule == "FIELD_TOO_LONG"]
    assert f.row.tolist() == [1] and "80 字节" in f.message.iloc[0]


def test_cross_file_duplicate_names_the_other_file():
    mine = registration()
    other = registration().iloc[[3]].reset_index(drop=True)
    res = xj.validate(mine, "chsi_registration", others={"二中名单.xlsx": other})
    f = res.findings[res.findings.rule == "CROSS_FILE_DUPLICATE"]
    assert f.row.tolist() == [4] and "「二中名单.xlsx」第 1 行" in f.message.iloc[0]


def k12(n=4):
    ids = make_ids(np.full(n, 430121), np.full(n, 20190501), np.arange(1, n + 1) * 2 + 1)
    return pd.DataFrame(
        {
            "XXBSM": ["1143000001"] * n,
            "XJH": ("G" + ids).tolist(),
            "XM": ["王五"] * n,
            "XB": ["1"] * n,
            "CSRQ": ["20190501"] * n,
            "SFZJLX": ["1"] * n,
            "SFZJH": ids.tolist(),
            "MZ": ["01"] * n,
            "NJ": ["11"] * n,
            "BJ": ["1"] * n,
            "RXNY": ["202509"] * n,
        }
    )


def test_k12_first_grade_age_is_configurable():
    df = k12()
    df.loc[1, ["CSRQ", "SFZJH", "XJH"]] = ["20190901", None, None]
    df.loc[1, "SFZJH"] = make_ids([430121], ["20190901"], [5])[0]
    df.loc[1, "XJH"] = "G" + df.loc[1, "SFZJH"]
    res = xj.validate(df, "k12_student")
    assert rules_at(res, 2) == {"AGE_GRADE_UNDER"} and rules_at(res, 1) == set()
    under = res.findings[res.findings.rule == "AGE_GRADE_UNDER"]
    assert "2025 年 8 月 31 日" in under.message.iloc[0]

    def under_rows(**kw):
        f = xj.validate(df, "k12_student", **kw).findings
        return f.loc[f.rule == "AGE_GRADE_UNDER", "row"].tolist()

    assert under_rows(first_grade_age=7) == [1, 2, 3, 4]
    assert under_rows(cutoff="0930") == []
    assert under_rows(school_year=2026) == []


def test_k12_student_numbers_and_id_type():
    df = k12()
    df.loc[0, "XJH"] = "G" + make_ids([430121], ["20190501"], [99])[0]
    j = make_ids([430121], ["20190501"], [11])[0]
    df.loc[1, ["XJH", "SFZJH"]] = ["J" + j[:17] + ("0" if j[17] != "0" else "1"), ""]
    df.loc[2, "SFZJH"] = "E12345678"
    df.loc[3, "SFZJLX"] = "A"
    res = xj.validate(df, "k12_student")
    assert rules_at(res, 1) == {"XJH_G_MISMATCH"}
    # 证件类型 居民身份证 with no number: the pupil without an ID number (issue 16 §7) besides the bad J 学籍号
    assert rules_at(res, 2) == {"XJH_J_CHECKSUM", "SFZH_MISSING"}
    assert rules_at(res, 3) == {"SFZJLX_MISMATCH"} and rules_at(res, 4) == {"SFZJLX_MISMATCH"}


def test_k12_name_sex_birth_duplicates_only_among_students_without_id():
    df = k12()
    df.loc[[1, 2], ["SFZJH", "SFZJLX"]] = ["", "Z"]
    df.loc[[1, 2], "XJH"] = ["L" + "4301212019050100" + "12", "L" + "4301212019050100" + "13"]
    res = xj.validate(df, "k12_student")
    dup = res.findings[res.findings.rule == "DUP_NAME_SEX_BIRTH"]
    assert sorted(dup.row.tolist()) == [2, 3]  # rows 1 and 4 share name/sex/birth too, but have ID numbers


def test_graduation_certificate_numbers():
    df = registration(5).assign(
        YXDM="19999",
        BYRQ="20300630",
        BYJL="毕业",
        XZXM="李校长",
        XLLB="10",
        ZSBH=[
            "199991203005000001",
            "199991203005000001",
            "199981203005000003",
            "199995203005000004",
            "199991203006000005",
        ],
    )
    df.loc[4, "BYJL"] = "肄业"
    res = xj.validate(df, "chsi_graduation")
    assert rules_at(res, 1) == rules_at(res, 2) == {"ZSBH_DUPLICATE"}
    assert rules_at(res, 3) == {"ZSBH_SCHOOL"} and rules_at(res, 4) == {"ZSBH_TYPE"}
    assert rules_at(res, 5) == {"ZSBH_LEVEL", "BYJL_YIYE"}
    assert "ZSBH_YEAR" in rules_at(xj.validate(df.assign(BYRQ="20290630"), "chsi_graduation"), 3)


def test_layout_recognition():
    for name in (
        "chsi_registration",
        "chsi_special_registration",
        "hunnu_registration",
        "hebnu_adult_graduation",
        "chsi_admission",
        "k12_student",
        "chsi_graduation",
    ):
        lay = xj.load_layout(name)
        assert xj.recognize_layout(lay.codes)[0].name == name
    with pytest.raises(xj.LayoutError, match="对不上"):
        xj.recognize_layout(["A", "B", "C"])


def test_result_summary_and_dict_add_up():
    res = xj.validate(registration(SFZH={0: "1"}, MZ={1: "毛难族"}), "chsi_registration")
    d = res.to_dict()
    assert d["passed"] + d["failed"] == d["total"] == 6 and d["failed"] == 1
    assert "通过 5 条，有误 1 条（5 + 1 = 6）" in res.summary()
    assert res.reasons().index.tolist() == [0] and "身份证号" in res.reasons().iloc[0]
