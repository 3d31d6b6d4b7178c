"""stats: the 学籍统计 tables on the committed samples (totals conserved, counts equal independent
value_counts, registration rate equal to the reconciliation) and each derivation on hand-made rows."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.ids import make_ids
from xueji_lib.schema.codes import load_code_table
from xueji_lib.stats.statistics import AGE_BANDS, StatsInputError, StatsResult, higher_ed_stats, k12_stats

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
LABEL_VALUE = {"人数", "占比（%）", "上期人数", "增减", "其中按考生号", "其中按身份证号", "年级代码"}


@pytest.fixture(scope="module")
def hei():
    adm = xj.read_dbf(SAMPLES / "hei" / "10_录取名单.dbf")
    reg = xj.read_dbf(SAMPLES / "hei" / "10_注册上报.dbf")
    rec = xj.reconcile(adm, reg, year=2026, category="10")
    return adm, reg, rec, higher_ed_stats(reg, admission=adm, reconcile_result=rec, year=2026)


@pytest.fixture(scope="module")
def k12():
    now = xj.read_table(SAMPLES / "k12" / "学生名单_2026春.xlsx", layout="k12_student")
    before = xj.read_table(SAMPLES / "k12" / "学生名单_2025秋.xlsx", layout="k12_student")
    return now, before, k12_stats(now, previous=before)


def label_columns(t: pd.DataFrame) -> list[str]:
    return [c for c in t.columns if c not in LABEL_VALUE]


def counts_of(t: pd.DataFrame) -> dict:
    """{label (or tuple of labels): 人数} without the 合计 row."""
    cols = label_columns(t)
    body = t.iloc[:-1]
    keys = body[cols[0]] if len(cols) == 1 else list(body[cols].itertuples(index=False, name=None))
    return dict(zip(keys, body["人数"].astype(int)))


def coded(values: pd.Series, table: str) -> pd.Series:
    """Independent code → label: the code table's labels, empty → 未填, unknown → 其他（原值）."""
    raw = values.fillna("").astype(str).str.strip()
    lab = load_code_table(table).to_label(raw)
    out = lab.where(lab.notna(), "其他（" + raw + "）")
    return out.where(raw != "", "未填")


def plain(values: pd.Series) -> pd.Series:
    raw = values.fillna("").astype(str).str.strip()
    return raw.where(raw != "", "未填")


# ------------------------------------------------------------------------------------------ samples


def test_every_total_equals_record_count(hei, k12):
    adm, reg, _, res = hei
    now, before, kres = k12
    assert res.total == len(reg) == 995 and kres.total == len(now) == 1437 and kres.previous_total == len(before)
    assert list(res.tables) == [
        "按院系",
        "按专业",
        "按层次",
        "按学习形式",
        "按性别",
        "按民族",
        "按生源省份",
        "按入学年龄",
        "各专业注册率",
    ]
    assert list(kres.tables) == [
        "按学校",
        "按年级",
        "按班级",
        "按性别",
        "按民族",
        "按留守儿童",
        "按随迁子女",
        "按户口性质",
    ]
    for r, n in ((res, len(reg)), (kres, len(now))):
        for name, t in r.tables.items():
            if name == "各专业注册率":
                assert t.iloc[-1]["专业"] == "合计" and t.iloc[-1]["录取人数"] == len(adm)
                assert t.iloc[:-1]["录取人数"].sum() == len(adm)
                continue
            assert t.iloc[-1, 0] == "合计", name
            assert t.iloc[-1]["人数"] == n and t.iloc[:-1]["人数"].sum() == n, name
            assert (t.iloc[:-1]["人数"] >= 0).all() and "合计" not in set(t.iloc[:-1, 0]), name
            assert t.iloc[-1]["占比（%）"] == 100.0
            assert t["占比（%）"].iloc[:-1].sum() == pytest.approx(100, abs=0.01 * len(t))
    for t in kres.tables.values():
        assert t.iloc[-1]["上期人数"] == len(before) and t.iloc[:-1]["上期人数"].sum() == len(before)


def test_higher_ed_counts_equal_value_counts(hei):
    _, reg, _, res = hei
    expect = {
        "按院系": plain(reg["FY"]),
        "按专业": plain(reg["ZYMC"]),
        "按层次": coded(reg["CC"], "cc"),
        "按学习形式": coded(reg["XXXS"], "xxxs"),
        "按性别": coded(reg["XB"], "xb"),
        "按民族": coded(reg["MZ"], "mz"),
    }
    for name, labels in expect.items():
        assert counts_of(res.table(name)) == labels.value_counts().to_dict(), name
    # the samples' planted values show up, not dropped: 汗族 (typo), 台湾 (港澳台), an empty 专业
    assert counts_of(res.table("按民族"))["其他（汗族）"] == 1
    assert counts_of(res.table("按民族"))["其他（台湾）"] == 1
    assert counts_of(res.table("按专业"))["未填"] == 1
    assert counts_of(res.table("按性别")) == {"男": 528, "女": 467}
    assert list(res.table("按层次")["层次"]) == ["本科", "专科", "合计"]
    # 民族: by count, 其他 after the known ones
    mz = res.table("按民族")
    assert mz["民族"].iloc[0] == "汉族" and mz["民族"].iloc[-3:-1].str.startswith("其他").all()


def test_higher_ed_province_and_age_on_samples(hei):
    _, reg, _, res = hei
    ksh = reg["KSH"].fillna("").str.strip()
    is14 = ksh.str.fullmatch(r"\d{14}")
    prov = xj.province_of(ksh.str.slice(2, 4)).where(is14)
    prov = prov.fillna(xj.province_of(reg["SFZH"]))
    t = res.table("按生源省份")
    assert counts_of(t) == prov.value_counts().to_dict()
    assert t.iloc[-1]["其中按考生号"] == int(is14.sum()) == 989 and t.iloc[-1]["其中按身份证号"] == 6
    assert any("考生号" in n and "身份证号" in n for n in res.notes)
    birth = pd.to_datetime(reg["CSRQ"], format="%Y%m%d")
    ref = pd.to_datetime(reg["RXRQ"], format="%Y%m%d", errors="coerce").fillna(pd.Timestamp("2026-09-01"))
    age = ref.dt.year - birth.dt.year - ((ref.dt.month * 100 + ref.dt.day) < (birth.dt.month * 100 + birth.dt.day))
    band = pd.cut(age, [-1, 17, 18, 19, 20, 25, 30, 200], labels=[b[0] for b in AGE_BANDS]).astype(str)
    assert counts_of(res.table("按入学年龄")) == band.value_counts().to_dict()


def test_registration_rate_equals_reconcile(hei):
    adm, reg, rec, res = hei
    t = res.table("各专业注册率")
    st = rec.admission.sort_values("row")["status"].to_numpy()
    major = plain(adm["ZYMC"])
    for col, status in (("注册一致", "matched"), ("关键字段不一致", "key_mismatch"), ("未注册", "not_registered")):
        expect = major[st == status].value_counts()
        got = t.iloc[:-1].set_index("专业")[col]
        assert got[got > 0].sort_index().to_dict() == expect.sort_index().to_dict(), col
    assert t.iloc[-1]["注册一致"] == rec.counts["admission"]["matched"] == 987
    assert t.iloc[-1]["未注册"] == rec.counts["admission"]["not_registered"]
    body = t.iloc[:-1]
    assert (body["录取人数"] == body["注册一致"] + body["关键字段不一致"] + body["未注册"]).all()
    assert body["注册率（%）"].tolist() == (body["注册一致"] / body["录取人数"] * 100).round(2).tolist()
    assert t.iloc[-1]["注册率（%）"] == round(987 / 1000 * 100, 2)
    # the reconciliation run inside gives the same table as the one handed in
    own = higher_ed_stats(reg, admission=adm, year=2026, category="10")
    pd.testing.assert_frame_equal(own.table("各专业注册率"), t)
    assert "注册率" in res.summary()


def test_registration_rate_needs_admission(hei):
    adm, reg, rec, _ = hei
    with pytest.raises(StatsInputError, match="录取数据"):
        higher_ed_stats(reg, reconcile_result=rec)
    with pytest.raises(StatsInputError, match="对不上"):
        higher_ed_stats(reg.iloc[:10], admission=adm, reconcile_result=rec)


def test_k12_counts_equal_value_counts(k12):
    now, _, res = k12
    expect = {
        "按学校": plain(now["XXMC"]),
        "按年级": coded(now["NJ"], "nj"),
        "按性别": coded(now["XB"], "xb"),
        "按民族": coded(now["MZ"], "mz"),
        "按留守儿童": coded(now["SFLSET"], "lset"),
        "按随迁子女": coded(now["SFSQZN"], "sf"),
        "按户口性质": coded(now["HKXZ"], "hkxz"),
    }
    for name, labels in expect.items():
        assert counts_of(res.table(name)) == labels.value_counts().to_dict(), name
    klass = pd.DataFrame({"a": plain(now["XXMC"]), "b": coded(now["NJ"], "nj"), "c": plain(now["BJ"])})
    assert counts_of(res.table("按班级")) == klass.groupby(["a", "b", "c"]).size().to_dict()
    # codes and labels both read: 二高 fills 男/女 and 汉族 as text, the others 1/2 and 01
    assert counts_of(res.table("按性别")) == {"男": 737, "女": 699, "未填": 1}
    assert counts_of(res.table("按民族"))["其他（60）"] == 1
    assert list(res.table("按性别")["性别"]) == ["男", "女", "未填", "合计"]
    assert list(res.table("按年级")["年级"])[:-1] == load_code_table("nj").labels()
    schools = res.table("按学校")["学校"].iloc[:-1].tolist()  # in 学校标识码 order
    assert schools == now.sort_values("XXBSM")["XXMC"].drop_duplicates().tolist()
    assert any("60" in n for n in res.notes) and any("性别" in n and "未填" in n for n in res.notes)


def test_k12_previous_snapshot(k12):
    now, before, res = k12
    for name, col, table in (("按年级", "NJ", "nj"), ("按民族", "MZ", "mz"), ("按户口性质", "HKXZ", "hkxz")):
        t = res.table(name).iloc[:-1].set_index(label_columns(res.table(name))[0])
        prev = coded(before[col], table).value_counts()
        assert t["上期人数"][t["上期人数"] > 0].sort_index().to_dict() == prev.sort_index().to_dict(), name
        assert (t["增减"] == t["人数"] - t["上期人数"]).all()
    school = res.table("按学校").iloc[:-1].set_index("学校")
    diff = plain(now["XXMC"]).value_counts().sub(plain(before["XXMC"]).value_counts(), fill_value=0)
    assert school["增减"].sort_index().to_dict() == diff.astype(int).sort_index().to_dict()
    assert res.table("按学校").iloc[-1]["增减"] == len(now) - len(before) == -5
    assert "上期 1442 条" in res.summary()


def test_no_personal_data_in_any_table(hei, k12):
    adm, reg, _, res = hei
    now, before, kres = k12
    personal = set()
    for df, cols in (
        (reg, ["KSH", "XH", "XM", "SFZH", "CSRQ"]),
        (adm, ["KSH", "XM", "SFZH"]),
        (now, ["XJH", "XM", "SFZJH", "LXDH", "XZZ", "CY1XM"]),
        (before, ["XJH", "XM", "SFZJH"]),
    ):
        for c in cols:
            personal |= set(df[c].dropna().astype(str).str.strip()) - {""}
    assert len(personal) > 3000
    for r in (res, kres):
        for name, t in r.tables.items():
            cells = set(t.astype(str).to_numpy().ravel())
            assert not cells & personal, (name, cells & personal)
            assert not any(re.search(r"\d{8,}", c) for c in cells), name
        text = json.dumps(r.to_dict(), ensure_ascii=False) + r.summary()
        assert not re.search(r"\d{8,}", text.replace(".", ""))


def test_result_object(hei):
    _, _, _, res = hei
    assert isinstance(res, StatsResult)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.total = 1  # frozen
    d = res.to_dict()
    back = json.loads(json.dumps(d, ensure_ascii=False))
    assert back["total"] == 995 and list(back["tables"]) == list(res.tables)
    assert back["tables"]["按性别"] == [
        {"性别": "男", "人数": 528, "占比（%）": 53.07},
        {"性别": "女", "人数": 467, "占比（%）": 46.93},
        {"性别": "合计", "人数": 995, "占比（%）": 100.0},
    ]
    with pytest.raises(KeyError, match="按专业"):
        res.table("按星座")
    s = res.summary()
    assert s.splitlines()[0] == "学籍统计（高等学校）：共 995 条记录" and str(res) == s


# --------------------------------------------------------------------------------------- hand-made


def frame(**cols) -> pd.DataFrame:
    n = max(len(v) for v in cols.values())
    return pd.DataFrame({k: pd.Series(v if len(v) == n else v * n, dtype="str") for k, v in cols.items()})


def test_province_from_ksh_or_id():
    bj = make_ids([110105], ["20080101"], [11])[0]
    gd = make_ids([440106], ["20080101"], [12])[0]
    js = make_ids([320102], ["20080101"], [13])[0]
    df = frame(
        KSH=[
            "26430102123456",  # 14 digits: 湖南 (43), the ID (北京) is not used
            "199992026020000107",  # special 18-character KSH → ID: 广东
            "26990102123456",  # 14 digits but 99 is no province → ID: 江苏
            "",  # empty → ID, 15 digits (converted): 北京
            "ABC",  # nothing usable
            "2643010212345",  # 13 digits → ID: 北京
            "261100000000000001",  # 18 digits (school-made), 3rd–4th "11" is not read → ID: 广东
            "2643A102123456",
        ],  # 14 characters, not all digits → ID: 江苏
        SFZH=[bj, gd, js, "110105080101111", "", bj, gd, js],
        XB=["男"],
        MZ=["汉族"],
        CSRQ=["20080101"],
        RXRQ=["20260901"],
        ZYMC=["英语"],
        FY=["外国语学院"],
        CC=["本科"],
        XXXS=["普通全日制"],
    )
    t = higher_ed_stats(df).table("按生源省份")
    got = t.set_index("生源省份")[["人数", "其中按考生号", "其中按身份证号"]].T.to_dict("list")
    assert got == {
        "北京市": [2, 0, 2],
        "湖南省": [1, 1, 0],
        "广东省": [2, 0, 2],
        "江苏省": [2, 0, 2],
        "无法确定": [1, 0, 0],
        "合计": [8, 1, 6],
    }
    assert list(t["生源省份"])[-2:] == ["无法确定", "合计"]


def test_age_bands():
    cases = [
        ("20090902", "17岁及以下"),  # 16
        ("20080902", "17岁及以下"),  # 17 (birthday the next day)
        ("20080901", "18岁"),  # 18 on the day
        ("20070901", "19岁"),
        ("20060101", "20岁"),
        ("20010901", "21–25岁"),
        ("20000901", "26–30岁"),
        ("19960902", "26–30岁"),  # 29
        ("19950901", "30岁以上"),  # 31
        ("2008-03-15", "18岁"),  # other date spellings are read
        ("20080231", "无法计算"),  # not a date, no ID
        ("20270101", "无法计算"),
    ]  # born after 入学日期
    df = frame(CSRQ=[c for c, _ in cases], RXRQ=["20260901"], KSH=["26430102123456"], XB=["男"])
    got = higher_ed_stats(df).table("按入学年龄")
    expect = pd.Series([b for _, b in cases]).value_counts().to_dict()
    assert counts_of(got) == expect
    assert list(got["年龄段"]) == [
        "17岁及以下",
        "18岁",
        "19岁",
        "20岁",
        "21–25岁",
        "26–30岁",
        "30岁以上",
        "无法计算",
        "合计",
    ]
    # birth from the ID when 出生日期 is empty; reference 9月1日 of year when 入学日期 is missing or invalid
    idn = make_ids([430102], ["20080315"], [11])[0]
    df = frame(CSRQ=["", "20080902", "20080902"], SFZH=[idn, "", ""], RXRQ=["20260901", "", "20260931"])
    assert counts_of(higher_ed_stats(df, year=2026).table("按入学年龄")) == {"18岁": 1, "17岁及以下": 2}
    assert counts_of(higher_ed_stats(df, year=2027).table("按入学年龄")) == {"18岁": 3}
    res = higher_ed_stats(df)  # no year: the two without a usable 入学日期 cannot be computed
    assert counts_of(res.table("按入学年龄")) == {"18岁": 1, "无法计算": 2}
    assert any("无法计算" in n for n in res.notes)


def test_higher_ed_previous_snapshot():
    now = frame(
        FY=["文学院", "文学院", "理学院"],
        XB=["1", "女", "男"],
        MZ=["01", "汉族", "回"],
        KSH=["26430102123456"],
        CSRQ=["20080101"],
        RXRQ=["20260901"],
    )
    before = frame(
        FY=["文学院", "工学院", "工学院", "理学院"],
        XB=["男", "男", "2", ""],
        MZ=["01"],
        KSH=["25430102123456"],
        CSRQ=["20070101"],
        RXRQ=["20250901"],
    )
    res = higher_ed_stats(now, previous=before)
    fy = res.table("按院系").set_index("院系")[["人数", "上期人数", "增减"]].T.to_dict("list")
    assert fy == {"文学院": [2, 1, 1], "理学院": [1, 1, 0], "工学院": [0, 2, -2], "合计": [3, 4, -1]}
    xb = res.table("按性别")
    assert xb["性别"].tolist() == ["男", "女", "未填", "合计"]
    assert xb[["人数", "上期人数", "增减"]].to_numpy().tolist() == [[2, 2, 0], [1, 1, 0], [0, 1, -1], [3, 4, -1]]
    assert counts_of(res.table("按民族")) == {"汉族": 2, "回族": 1}
    assert res.previous_total == 4 and "减少 1 条" in res.summary()


def test_k12_unknown_and_missing_columns():
    df = frame(
        XXMC=["甲校", "甲校", ""],
        NJ=["一年级", "11", "七"],
        BJ=["2班", "10班", "1班"],
        XB=["1", "男性", "x"],
        SFLSET=["0"],
        HKXZ=["农业", "2", ""],
    )
    res = k12_stats(df)
    assert counts_of(res.table("按年级")) == {"小学一年级": 2, "其他（七）": 1}
    assert counts_of(res.table("按性别")) == {"男": 2, "其他（x）": 1}
    assert list(res.table("按班级")["班级"]) == ["2班", "10班", "1班", ""]  # 2 before 10; 未填 school last
    assert res.table("按学校")["学校"].tolist() == ["甲校", "未填", "合计"]
    # a column the file lacks: no table, and a note says so
    assert "按随迁子女" not in res.tables and any("SFSQZN" in n for n in res.notes)
    for t in res.tables.values():
        assert t.iloc[-1]["人数"] == 3
    # … but in the previous snapshot it is counted as 未填, so that 上期人数 still add up
    now = df.assign(SFSQZN=["1", "0", "否"])
    res = k12_stats(now, previous=df.iloc[:2])
    t = res.table("按随迁子女")
    assert t[["是否进城务工人员随迁子女", "人数", "上期人数", "增减"]].to_numpy().tolist() == [
        ["是", 1, 0, 1],
        ["否", 2, 0, 2],
        ["未填", 0, 2, -2],
        ["合计", 3, 2, 1],
    ]
    assert any("上期名单没有" in n and "SFSQZN" in n for n in res.notes)


def test_numeric_codes_and_aliases():
    """Codes read as numbers (Int64, float) and the admission list's XBDM/MZDM columns."""
    df = pd.DataFrame(
        {
            "XBDM": pd.array([1, 2, None, 2], dtype="Int64"),
            "MZDM": [1.0, 3.0, np.nan, 77.0],
            "KSH": ["26430102123456"] * 4,
        }
    )
    res = higher_ed_stats(df)
    assert counts_of(res.table("按性别")) == {"男": 1, "女": 2, "未填": 1}
    assert counts_of(res.table("按民族")) == {"汉族": 1, "回族": 1, "未填": 1, "其他（77）": 1}


def test_registration_rate_hand_made():
    """Admitted, matched, key-mismatched and unregistered per 专业 — an empty 专业 is kept as 未填."""
    ids = make_ids([430102] * 6, ["20080101"] * 6, [11, 12, 13, 14, 15, 16])
    ksh = [f"2643010212345{i}" for i in range(6)]
    adm = frame(
        KSH=ksh,
        XM=["甲", "乙", "丙", "丁", "戊", "己"],
        SFZH=list(ids),
        CC=["本科"],
        XBDM=["1"],
        ZYMC=["英语", "英语", "英语", "数学", "数学", ""],
        LQNF=["2026"],
        XLLB=["10"],
        YXDM=["19999"],
    )
    reg = frame(
        KSH=ksh[:2] + ksh[3:5] + ["26430102999999"],
        XM=["甲", "乙", "丁", "戊", "庚"],
        CC=["本科", "专科", "本科", "本科", "本科"],
        SFZH=list(ids[:2]) + list(ids[3:5]) + [""],
        ZYMC=["英语"],
        XB=["男"],
    )
    rec = xj.reconcile(adm, reg, year=2026, category="10")
    t = higher_ed_stats(reg, admission=adm, reconcile_result=rec).table("各专业注册率")
    assert t.to_dict("list") == {
        "专业": ["英语", "数学", "未填", "合计"],
        "录取人数": [3, 2, 1, 6],
        "注册一致": [1, 2, 0, 3],
        "关键字段不一致": [1, 0, 0, 1],
        "未注册": [1, 0, 1, 2],
        "注册率（%）": [33.33, 100.0, 0.0, 50.0],
    }


def test_an_unknown_table_title_lists_the_titles_there_are(k12):
    res = k12[2]
    with pytest.raises(KeyError, match=r"没有名为“按星座”的统计表；已有：.*按学校"):
        res.table("按星座")
