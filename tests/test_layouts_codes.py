"""Layouts (YAML) and code tables (CSV): every built-in one loads and is sane; look-ups match by code,
label, alias and deprecated name; the vectorised helpers keep NA and blanks apart; user folders in
XUEJI_LAYOUT_PATH / XUEJI_CODES_PATH extend and override the built-ins; malformed files are named."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
import yaml

import xueji_lib as xj
from xueji_lib.core.errors import LayoutError
from xueji_lib.schema import codes as codes_mod
from xueji_lib.schema.codes import CodeEntry, CodeTable, list_code_tables, load_code_table, normalize_value, province_of
from xueji_lib.schema.layouts import list_layouts, load_layout, normalize_header

BUILTIN_LAYOUTS = {
    "chsi_registration",
    "chsi_admission",
    "chsi_new_student_status",
    "chsi_special_registration",
    "hunnu_registration",
    "hebnu_adult_graduation",
    "chsi_graduation",
    "k12_student",
    "k12_changes",
}
BUILTIN_TABLES = {
    "xb",
    "mz",
    "zzmm",
    "xzqh",
    "gatqw",
    "sfzjlx",
    "jkzk",
    "hkxz",
    "hklb",
    "rxfs",
    "jdfs",
    "xsly",
    "lset",
    "sf",
    "sbjd",
    "xx",
    "xllb",
    "cc",
    "ccdm_lq",
    "xxxs",
    "xz",
    "rxzt",
    "byjl",
    "xjyd_gx",
    "xjyd_k12",
    "nj",
}
# Tables whose labels may repeat (documented in tables.yml): such labels match nothing.
AMBIGUOUS_LABELS_OK = {"xzqh"}


@pytest.fixture(autouse=True)
def _no_user_dirs(monkeypatch):
    monkeypatch.delenv("XUEJI_LAYOUT_PATH", raising=False)
    monkeypatch.delenv("XUEJI_CODES_PATH", raising=False)


# -- layouts -------------------------------------------------------------------------------------------


def test_every_builtin_layout_loads():
    names = {lay.name for lay in list_layouts()}
    assert BUILTIN_LAYOUTS <= names
    for name in BUILTIN_LAYOUTS:
        assert load_layout(name).name == name


@pytest.mark.parametrize("name", sorted(BUILTIN_LAYOUTS))
def test_layout_is_sane(name):
    lay = load_layout(name)
    assert lay.format in {"dbf", "excel"}
    assert lay.category in {"higher_ed", "k12"}
    assert lay.title and lay.source and lay.confidence and lay.description
    assert lay.fields
    if name != "hebnu_adult_graduation":  # layout C publishes no required flags
        assert lay.required
    for f in lay.fields:
        assert re.fullmatch(r"[A-Z][A-Z0-9_]{0,9}", f.code), f.code
        assert f.name and not re.search(r"[A-Za-z]", f.name.replace("/", "")), f"{name}.{f.code} 中文名"
        assert f.type in {"C", "N", "F", "D", "L"}
        if f.type in {"C", "N", "F"}:
            assert 1 <= f.width <= 254
        if f.date:
            assert f.type == "C" and f.width == len(f.date), f"{name}.{f.code}: 日期宽度应与格式一致"


@pytest.mark.parametrize("name", sorted(BUILTIN_LAYOUTS))
def test_layout_header_spellings_are_unambiguous(name):
    lay = load_layout(name)
    owner: dict[str, str] = {}
    for f in lay.fields:
        for spelling in {normalize_header(s) for s in (f.code, f.name, *f.aliases)}:
            assert owner.setdefault(spelling, f.code) == f.code, (
                f"{name}: {spelling} 同时指向 {owner[spelling]} 和 {f.code}"
            )


def test_every_code_table_named_by_a_layout_exists():
    named = {(lay.name, f.code, f.codes) for lay in list_layouts() for f in lay.fields if f.codes}
    assert len(named) > 40
    for lay_name, field_code, table in named:
        assert load_code_table(table).name == table, (lay_name, field_code)


def test_special_registration_is_layout_a_as_published():
    lay = load_layout("chsi_special_registration")
    published = [
        ("YXMC", 18, True),
        ("YXDM", 5, True),
        ("KSH", 18, True),
        ("XH", 15, False),
        ("XM", 24, True),
        ("XB", 2, True),
        ("CSRQ", 8, True),
        ("SFZH", 18, True),
        ("MZ", 10, True),
        ("ZYMC", 30, True),
        ("FY", 24, False),
        ("XSH", 24, False),
        ("BH", 24, False),
        ("CC", 20, True),
        ("XXXS", 10, True),
        ("XZ", 3, True),
        ("RXRQ", 8, True),
        ("BZ", 40, False),
    ]
    assert [(f.code, f.width, f.required) for f in lay.fields] == published
    assert all(f.type == "C" for f in lay.fields)


def test_other_published_widths():
    hunnu = load_layout("hunnu_registration")
    assert [(f.code, f.width) for f in hunnu.fields][:5] == [
        ("KSH", 18),
        ("XH", 15),
        ("XM", 40),
        ("XB", 2),
        ("CSRQ", 8),
    ]
    assert hunnu.field("CC").width == 12 and hunnu.required == ["KSH"]
    hebnu = load_layout("hebnu_adult_graduation")
    assert hebnu.field("XM").width == 8 and hebnu.field("KSH").width == 16 and hebnu.field("XXXS").width == 4
    assert len(hebnu.fields) == 12


def test_admission_and_k12_specifics():
    adm = load_layout("chsi_admission")
    hm = adm.header_map()
    assert hm["ZJHM"] == "SFZH" and hm["CSNY"] == "CSRQ"
    assert adm.field("XBDM").codes == "xb" and adm.field("SFZH").personal == "id"
    assert set(adm.required) == {"KSH", "XM", "XBDM", "YXDM", "CC", "LQNF", "XLLB"}

    k12 = load_layout("k12_student")
    assert k12.format == "excel" and k12.category == "k12"
    hm = k12.header_map()
    assert hm[normalize_header("姓名★")] == "XM"
    assert hm[normalize_header("全国学籍号")] == "XJH" and hm[normalize_header("个人标识码")] == "XJH"
    assert k12.field("RXNY").date == "YYYYMM" and k12.field("CSRQ").date == "YYYYMMDD"
    assert k12.field("NJ").codes == "nj" and k12.field("SFLSET").codes == "lset"
    personal = k12.personal_fields()
    assert personal["SFZJH"] == "id" and personal["CY2SFZJH"] == "id" and personal["LXDH"] == "phone"
    assert personal["XZZ"] == personal["CY1XZZ"] == "address"
    assert {"XM", "XB", "MZ", "SFZJLX", "NJ", "BJ", "RXNY", "SFGE"} <= set(k12.required)
    assert "SFZJH" not in k12.required  # 证件类型 Z-其他 时可以为空

    ch = load_layout("k12_changes")
    assert set(ch.required) == {"YDLB", "YDRQ"} and ch.field("YDLB").codes == "xjyd_k12"


def test_codes_identifiers_and_formats_are_declared_in_the_layouts():
    """Issue 16 §5, §8: which fields are codes/identifiers (half-width, upper case) and which formats apply is
    data in the layout files, not a list in code; the upload layouts ask for every field (seed 000)."""
    reg = load_layout("chsi_registration")
    assert {f.code for f in reg.fields if f.ident} == {"KSH", "XH", "YXDM", "ZYDM", "BH"}
    assert reg.field("YXDM").label_field == "YXMC" and not reg.field("XM").ident
    assert reg.structure_rule == "complete" and load_layout("chsi_special_registration").structure_rule == "complete"
    assert load_layout("chsi_new_student_status").structure_rule == "required"
    k12 = load_layout("k12_student")
    assert {"XXBSM", "XJH"} <= {f.code for f in k12.fields if f.ident}
    assert k12.field("XXBSM").format == "school_id" and k12.field("XXBSM").label_field == "XXMC"
    assert k12.field("XXBSM").pattern == "[0-9]{10}" and k12.field("XXBSM").pattern_severity == "error"
    assert k12.field("LXDH").format == "phone" and k12.field("LXDH").pattern_severity == "warning"
    assert k12.field("YZBM").format == "postcode" and k12.field("JTDZ").format == "address"
    assert "××省××市××区(县)" in k12.field("JTDZ").pattern_message
    phone, address = re.compile(k12.field("LXDH").pattern), re.compile(k12.field("JTDZ").pattern)
    for ok in ("13873548310", "0731-84567890", "073184567890", "(0731)84567890", "13873548310、0731-84567890"):
        assert phone.fullmatch(ok), ok
    for bad in ("84567890", "12873548310", "1387354831", "无"):
        assert not phone.fullmatch(bad), bad
    for ok in (
        "湖南省长沙市岳麓区麓山街道桃子湖社区",
        "北京市朝阳区建国路街道",
        "广西壮族自治区南宁市青秀区中山路1号",
        "湖南省示范县枫林镇荷花村2组",
    ):
        assert address.fullmatch(ok), ok
    for bad in ("枫林镇荷花村2组", "长沙市岳麓区", "湖南省长沙市"):
        assert not address.fullmatch(bad), bad


def test_id_forms_table_recognises_the_seed_example():
    from xueji_lib.schema.id_forms import load_id_forms

    forms = {f.code: f for f in load_id_forms()}
    assert {"hmt_11113", "hk_macau_permit", "taiwan_permit", "passport", "temp_999"} <= set(forms)
    f = forms["hmt_11113"]
    assert re.fullmatch(f.pattern, "1111309102056") and f.equals_parts() == ("11113", "XH", False)
    assert f.shape_alone and "004" in f.source
    assert forms["temp_999"].equals_parts() == ("999", "XXBSM", True)
    assert re.fullmatch(forms["hk_macau_permit"].pattern, "H12345678") and forms["hk_macau_permit"].gatqw
    assert all(f.name and f.source for f in forms.values())


# -- code tables: files --------------------------------------------------------------------------------


def test_builtin_tables_match_index():
    index = yaml.safe_load((codes_mod.BUILTIN_DIR / "tables.yml").read_text(encoding="utf-8"))
    csvs = {p.stem for p in codes_mod.BUILTIN_DIR.glob("*.csv")}
    assert set(index) == csvs == BUILTIN_TABLES
    assert {t.name for t in list_code_tables()} == BUILTIN_TABLES


@pytest.mark.parametrize("name", sorted(BUILTIN_TABLES))
def test_code_table_loads_with_unique_codes_and_labels(name):
    t = load_code_table(name)
    assert isinstance(t, CodeTable) and t.name == name
    assert t.title and t.source and t.confidence
    assert all(isinstance(e, CodeEntry) and isinstance(e.code, str) and e.code and e.label for e in t.entries)
    assert len(set(t.codes())) == len(t.codes())
    if name not in AMBIGUOUS_LABELS_OK:
        assert len(set(t.labels())) == len(t.labels())
    for e in t.entries:  # every code matches itself as a code; every unique label as a label
        assert t.match(e.code) == (e, "code")
        if t.labels().count(e.label) == 1 and normalize_value(e.label) != normalize_value(e.code):
            assert t.match(e.label) == (e, "label"), (name, e)


def test_codes_stay_text():
    assert load_code_table("mz").codes()[:3] == ["01", "02", "03"]
    assert load_code_table("gatqw").codes()[0] == "00"
    assert load_code_table("sbjd").codes()[0] == "00"
    assert load_code_table("xz").codes()[0] == "1.5"
    xzqh = load_code_table("xzqh")
    assert all(len(c) == 6 and c.isdigit() for c in xzqh.codes())
    assert len([c for c in xzqh.codes() if c.endswith("0000")]) == 34


# -- code tables: look-ups -----------------------------------------------------------------------------


def test_lookup_by_code_label_alias_deprecated():
    mz = load_code_table("mz")
    assert mz.lookup("01").label == "汉族"
    assert mz.lookup("汉族").code == "01"
    assert mz.match("HA")[0].code == "01" and mz.match("ha")[1] == "alias"
    assert mz.lookup("柯尔克孜").code == "29"  # a label without its trailing 族
    assert mz.match("毛难族") == (mz.lookup("36"), "deprecated")
    assert mz.match("毛难")[1] == "deprecated"
    assert mz.match("崩龙族")[0].code == "46" and mz.match("崩龙族")[1] == "deprecated"
    assert mz.lookup("香港") is None  # 港澳台 students' MZ is handled by the validator, not the table
    assert mz.lookup("97").label == "其他" and mz.lookup("98").label == "外国血统中国籍人士"

    xb = load_code_table("xb")
    assert xb.lookup("男").code == "1" and xb.lookup("女").code == "2"
    assert xb.match("男性")[1] == "alias"
    zzmm = load_code_table("zzmm")
    assert zzmm.match("中国共产党党员") == (zzmm.lookup("01"), "alias")
    assert zzmm.lookup("共青团员").code == "03" and zzmm.lookup("群众").code == "13"
    cc = load_code_table("cc")
    assert cc.lookup("专科（高职）").code == "06" and cc.lookup("高职(专科)").code == "06"
    assert cc.lookup("专升本").label == "专科起点本科"
    assert load_code_table("ccdm_lq").lookup("2").label.startswith("高职")
    assert load_code_table("xxxs").lookup("远程").label == "网络教育"
    assert load_code_table("nj").lookup("七年级").code == "21" and load_code_table("nj").lookup("高一").code == "31"
    assert load_code_table("xjyd_k12").lookup("转出").code == "27"
    assert load_code_table("rxzt").lookup("保留入学资格").code == "2"


def test_lookup_normalises_zero_padding_fullwidth_and_blanks():
    mz = load_code_table("mz")
    assert mz.match("1") == (mz.lookup("01"), "code")
    assert mz.lookup(1).code == "01" and mz.lookup(1.0).code == "01"  # numbers from a spreadsheet
    assert mz.lookup("０１").code == "01" and mz.lookup("１").code == "01"  # full-width digits
    assert mz.lookup(" 汉　族 ").code == "01"  # blanks, ideographic space
    assert mz.lookup("999") is None and mz.lookup("") is None and mz.lookup(None) is None
    assert load_code_table("gatqw").lookup("0").code == "00"
    assert load_code_table("sfzjlx").lookup("ａ").code == "A"
    xz = load_code_table("xz")
    assert xz.lookup("4.0").code == "4" and xz.lookup(4.0).code == "4" and xz.lookup("3.5").code == "3.5"
    assert xz.lookup("4.5").code == "4.5" and xz.lookup("9") is None


def test_health_variants_map_to_one_code():
    jkzk = load_code_table("jkzk")
    assert jkzk.match("10") == (jkzk.lookup("10"), "code")
    assert jkzk.match("1") == (jkzk.lookup("10"), "alias")  # 1-digit JY/T variant
    assert jkzk.lookup("40").label == "有生理缺陷"  # K-12 2013 variant wins
    assert jkzk.lookup("50").label == "残疾"
    assert jkzk.match("60") == (jkzk.lookup("50"), "alias") and jkzk.lookup("6").code == "50"
    assert jkzk.lookup("61").label == "视力残疾"


def test_xzqh_and_province_of():
    xzqh = load_code_table("xzqh")
    assert xzqh.lookup("110000").label == "北京市"
    assert xzqh.match("北京") == (xzqh.lookup("110000"), "alias")
    assert xzqh.lookup("香港").code == "810000"
    assert xzqh.lookup("海淀区").code == "110108"
    assert xzqh.lookup("朝阳区") is None  # 110105 and 220104: ambiguous by name
    assert xzqh.lookup("11") is None  # a prefix is not a code: use province_of
    s = pd.Series(["110105", "44010119900101001X", "５１", "99", None, "", "X1"], index=range(10, 17))
    out = province_of(s)
    assert out.index.tolist() == list(range(10, 17))
    assert out.tolist()[:3] == ["北京市", "广东省", "四川省"]
    assert out.iloc[3:].isna().all()


def test_vectorised_match_kind_to_code_to_label():
    mz = load_code_table("mz")
    s = pd.Series(
        ["汉族", "1", None, "", "  ", "毛难族", "HA", "火星族", "汉族", pd.NA],
        index=list("abcdefghij"),
        name="MZ",
        dtype="object",
    )
    kinds = mz.match_kind(s)
    assert kinds.tolist() == [
        "label",
        "code",
        "empty",
        "empty",
        "empty",
        "deprecated",
        "alias",
        "unknown",
        "label",
        "empty",
    ]
    assert kinds.index.tolist() == list("abcdefghij") and kinds.name == "MZ"
    assert pd.api.types.is_string_dtype(kinds.dtype)
    code = mz.to_code(s)
    assert code.tolist()[:2] == ["01", "01"] and code.iloc[5] == "36" and code.iloc[6] == "01"
    assert code.iloc[[2, 3, 4, 7, 9]].isna().all() and code.notna().sum() == 5
    assert pd.api.types.is_string_dtype(code.dtype)
    label = mz.to_label(s)
    assert label.iloc[1] == "汉族" and label.iloc[5] == "毛南族" and pd.isna(label.iloc[7])
    assert label.isna().tolist() == code.isna().tolist()
    # pyarrow-backed strings in, same answers out
    arrow = s.astype("str")
    assert mz.to_code(arrow).fillna("-").tolist() == code.fillna("-").tolist()
    assert mz.match_kind(pd.Series([], dtype="str")).tolist() == []


def test_vectorised_helpers_look_up_each_distinct_value_once(monkeypatch):
    mz = load_code_table("mz")
    calls = []
    original = CodeTable.match

    def counting(self, value):
        calls.append(value)
        return original(self, value)

    monkeypatch.setattr(CodeTable, "match", counting)
    s = pd.Series(["汉族", "01", "回族", None] * 5000)
    assert mz.to_code(s).value_counts().to_dict() == {"01": 10000, "03": 5000}
    assert len(calls) == 3


# -- user folders --------------------------------------------------------------------------------------


def test_user_layout_extends_and_overrides(tmp_path, monkeypatch):
    (tmp_path / "mine.yml").write_text(
        "name: school_roster\ntitle: 本校花名册\nformat: excel\ncategory: k12\n"
        "fields:\n  - {code: XM, name: 姓名, width: 40, required: true}\n",
        encoding="utf-8",
    )
    (tmp_path / "reg.yml").write_text(
        "name: chsi_registration\ntitle: 本省改过的注册结构\nformat: dbf\n"
        "fields:\n  - {code: KSH, name: 考生号, width: 14, required: true}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("XUEJI_LAYOUT_PATH", str(tmp_path))
    names = {lay.name for lay in list_layouts()}
    assert "school_roster" in names and BUILTIN_LAYOUTS <= names
    reg = load_layout("chsi_registration")
    assert reg.title == "本省改过的注册结构" and reg.field("KSH").width == 14
    monkeypatch.delenv("XUEJI_LAYOUT_PATH")
    assert load_layout("chsi_registration").field("KSH").width == 18
    with pytest.raises(LayoutError, match="school_roster"):
        load_layout("school_roster")


def test_user_code_table_extends_and_overrides(tmp_path, monkeypatch):
    (tmp_path / "xb.csv").write_text("code,label,aliases\n1,男,M\n2,女,F\n", encoding="utf-8-sig")
    (tmp_path / "kslb.csv").write_text(
        "code,label,aliases,deprecated\n01,城市应届,,\n02,农村应届,,\n", encoding="utf-8"
    )
    (tmp_path / "tables.yml").write_text(
        "kslb:\n  title: 考生类别\n  source: 本省招办\n  confidence: C\n", encoding="utf-8"
    )
    monkeypatch.setenv("XUEJI_CODES_PATH", str(tmp_path))
    xb = load_code_table("xb")
    assert xb.codes() == ["1", "2"] and xb.lookup("M").code == "1"
    assert xb.title == "性别" and Path(xb.path).parent == tmp_path  # built-in title kept, user's data
    kslb = load_code_table("kslb")
    assert (kslb.title, kslb.source, kslb.codes()) == ("考生类别", "本省招办", ["01", "02"])
    assert kslb.lookup("1").label == "城市应届"
    assert {"kslb", "xb", "mz"} <= {t.name for t in list_code_tables()}
    monkeypatch.delenv("XUEJI_CODES_PATH")
    assert load_code_table("xb").codes() == ["0", "1", "2", "9"]
    with pytest.raises(LayoutError, match="kslb"):
        load_code_table("kslb")


# -- malformed files -----------------------------------------------------------------------------------

GOOD_FIELD = "  - {code: XM, name: 姓名, width: 40}\n"


@pytest.mark.parametrize(
    "bad_field, field_code",
    [
        ("  - {code: XB, name: 性别, type: Q, width: 2}\n", "XB"),  # bad type
        ("  - {code: BZ, name: 备注, type: C, width: 300}\n", "BZ"),  # width too big
        ("  - {code: XM, name: 姓名重复, width: 10}\n", "XM"),  # duplicate code
        ("  - {code: ABCDEFGHIJK, name: 太长, width: 10}\n", "ABCDEFGHIJK"),  # code > 10 characters
        ("  - {code: CSRQ, name: 出生日期, width: 8, date: DDMMYYYY}\n", "CSRQ"),
        ("  - {code: SFZH, name: 身份证号, width: 18, personal: secret}\n", "SFZH"),
    ],
)
def test_malformed_layout_names_file_and_field(tmp_path, monkeypatch, bad_field, field_code):
    path = tmp_path / "broken.yml"
    path.write_text(f"name: broken\ntitle: 坏版式\nformat: dbf\nfields:\n{GOOD_FIELD}{bad_field}", encoding="utf-8")
    with pytest.raises(LayoutError) as err:
        load_layout(str(path))
    assert str(path) in str(err.value) and field_code in str(err.value)
    monkeypatch.setenv("XUEJI_LAYOUT_PATH", str(tmp_path))
    with pytest.raises(LayoutError, match="broken.yml"):
        list_layouts()


@pytest.mark.parametrize(
    "text, expected",
    [
        ("code,label\n01,甲\n01,乙\n", "第 3 行"),  # duplicate code
        ("代码,名称\n01,甲\n", "表头"),  # bad header
        ("code,label\n01,\n", "第 2 行"),  # empty label
        ("code,label,aliases\n01,甲,a,b\n", "第 2 行"),  # too many columns
        ("code,label\n", "没有任何代码"),
    ],
)
def test_malformed_code_table_names_file(tmp_path, monkeypatch, text, expected):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LayoutError) as err:
        load_code_table(str(path))
    assert str(path) in str(err.value) and expected in str(err.value)
    monkeypatch.setenv("XUEJI_CODES_PATH", str(tmp_path))
    with pytest.raises(LayoutError, match="bad.csv"):
        load_code_table("bad")


def test_unknown_table_and_bad_index(tmp_path, monkeypatch):
    with pytest.raises(LayoutError, match="nosuch.csv"):
        load_code_table("nosuch")
    (tmp_path / "t.csv").write_text("code,label\n1,甲\n", encoding="utf-8")
    (tmp_path / "tables.yml").write_text("t: [not, a, mapping]\n", encoding="utf-8")
    monkeypatch.setenv("XUEJI_CODES_PATH", str(tmp_path))
    with pytest.raises(LayoutError, match="tables.yml"):
        load_code_table("t")


SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"


def test_an_upload_short_of_optional_fields_is_still_recognised_as_an_upload():
    # the late batch made from an old template lacks ZZMM/FY/XSH and has one extra field: the smaller
    # special-category layout covers a larger share of itself, but the registration upload differs less
    df = xj.read_dbf(SAMPLES / "hei/10_注册上报_补报.dbf")
    lay, why = xj.recognize_layout(df.columns)
    assert lay.name == "chsi_registration", why
    lay, _ = xj.recognize_layout(xj.read_dbf(SAMPLES / "hei/10_注册上报.dbf").columns)
    assert lay.name == "chsi_registration"
