"""xueji_lib.reporting.display on the committed samples: for every result type the HTML shows the object's own counts
(parsed back out of the HTML table), the counts add up to the input record count, print(result) says the same
figures, personal data is masked unless unmask=True, charts are plotly divs without plotly.js and without
any outside host, and the result classes display themselves in a notebook (IPython's formatter)."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import xueji_lib as xj
from xueji_lib.core.privacy import mask_id, mask_phone
from xueji_lib.reporting import display as xd

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
HEI, K12 = SAMPLES / "hei", SAMPLES / "k12"


# ------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def hei():
    adm, reg, states = (xj.read_dbf(HEI / f) for f in ("10_录取名单.dbf", "10_注册上报.dbf", "10_新生状态.dbf"))
    return adm, reg, states


@pytest.fixture(scope="module")
def rec(hei):
    adm, reg, states = hei
    return xj.reconcile(adm, reg, year=2026, category="10", states=states)


@pytest.fixture(scope="module")
def val(hei):
    return xj.validate(hei[1], year=2026, category="10")


@pytest.fixture(scope="module")
def rosters():
    old = xj.read_table(K12 / "学生名单_2025秋.xlsx", layout="k12_student")
    new = xj.read_table(K12 / "学生名单_2026春.xlsx", layout="k12_student")
    ch = xj.read_table(K12 / "学籍异动_2026春.xlsx", layout="k12_changes")
    grad = xj.read_table(K12 / "毕业生_2026.xlsx", layout="k12_student")
    intake = xj.read_table(K12 / "新生_2026秋.xlsx", layout="k12_student")
    return old, new, ch, grad, intake


@pytest.fixture(scope="module")
def cmp_(rosters):
    old, new, ch, _, _ = rosters
    return xj.compare(old, new, changes=ch, old_name="2025秋", new_name="2026春")


@pytest.fixture(scope="module")
def cmp_raw(rosters):
    """Computed with unmask=True: the result itself holds the ID numbers and phone numbers."""
    old, new, ch, _, _ = rosters
    return xj.compare(old, new, changes=ch, old_name="2025秋", new_name="2026春", unmask=True)


@pytest.fixture(scope="module")
def hand(rosters):
    _, _, _, grad, intake = rosters
    return xj.handoff(grad, intake)


@pytest.fixture(scope="module")
def hand_raw(rosters):
    _, _, _, grad, intake = rosters
    return xj.handoff(grad, intake, unmask=True)


@pytest.fixture(scope="module")
def stats(hei, rec):
    adm, reg, _ = hei
    return xj.higher_ed_stats(reg, admission=adm, reconcile_result=rec, year=2026)


@pytest.fixture(scope="module")
def k12stats(rosters):
    old, new = rosters[:2]
    return xj.k12_stats(new, previous=old)


@pytest.fixture(scope="module")
def k12val(rosters):
    return xj.validate(rosters[1])


@pytest.fixture(scope="module")
def photos(hei):
    reg = hei[1]
    mask = reg["BH"].isin(["软件2601", "软件2602"]).to_numpy()
    return xj.check_photos(reg[mask], HEI / "photos", row_numbers=np.flatnonzero(mask) + 1), int(mask.sum())


# -------------------------------------------------------------------------------------------- helpers


class _Tables(HTMLParser):
    """Every <table> of an HTML text as a list of rows of cell texts (header row included)."""

    def __init__(self):
        super().__init__()
        self.tables, self._row, self._cell = [], None, None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def tables(html: str) -> list[pd.DataFrame]:
    p = _Tables()
    p.feed(html)
    return [pd.DataFrame(t[1:], columns=t[0]) for t in p.tables if t]


def summary_from_html(result, **kw) -> pd.DataFrame:
    """The first table of the result's HTML, with count columns as numbers."""
    t = tables(xd.to_html(result, **kw))[0]
    for c in ("记录数", "处数", "数量"):
        if c in t:
            t[c] = t[c].astype(int)
    return t


def printed(result) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print(result)
    return out.getvalue()


def by_side(t: pd.DataFrame, count="记录数") -> dict:
    return {side: dict(zip(part["结果"], part[count])) for side, part in t.groupby("名单", sort=False)}


def id_values(*series) -> set[str]:
    """The full ID-like values of the inputs (15 or more characters)."""
    out = set()
    for s in series:
        out |= {v.strip() for v in s.dropna().astype(str) if len(v.strip()) >= 15}
    return out


def shown_ids(text: str, ids: set[str]) -> list[str]:
    return sorted(v for v in ids if v in text)


# ------------------------------------------------------------------------------------------ reconcile


def test_reconcile_html_counts_equal_object_and_add_up(rec, hei):
    adm, reg, _ = hei
    t = by_side(summary_from_html(rec))
    c = rec.counts
    from xueji_lib.matching.reconcile import ADMISSION_STATUSES, REGISTRATION_STATUSES, STATUS_ZH

    for side, title, statuses, n in (
        ("registration", "注册上报", REGISTRATION_STATUSES, len(reg)),
        ("admission", "录取数据", ADMISSION_STATUSES, len(adm)),
    ):
        assert {STATUS_ZH[s]: c[side][s] for s in statuses} == {k: v for k, v in t[title].items() if k != "合计"}
        assert t[title]["合计"] == c[side]["total"] == n == sum(c[side][s] for s in statuses)
    assert c["registration"]["matched"] < len(reg)  # the samples plant differences: the check is not vacuous


def test_reconcile_text_has_the_same_figures(rec):
    text = printed(rec)
    assert text.strip() == xd.to_text(rec) == rec.summary()
    t = by_side(xd.summary_frame(rec))
    for title, counts in t.items():
        line = next(x for x in text.splitlines() if x.startswith(f"{title} {counts['合计']} 条 ="))
        for label, n in counts.items():
            if label != "合计":
                assert f"{label} {n}" in line, (title, label)


def test_reconcile_lists(rec):
    lists = xd.list_frames(rec, rows=3)
    assert list(lists) == ["资格有误", "未注册"]
    q = lists["资格有误"]
    assert len(q) == 3 and q.attrs["total"] == len(rec.qualification_errors())
    assert list(q.columns[:5]) == ["行号", "考生号", "姓名", "结果", "原因"]
    assert set(q["结果"]) <= {"关键字段不一致", "录取数据中没有", "考生号重复", "缺考生号"}
    assert q["行号"].tolist() == rec.qualification_errors()["row"].head(3).tolist()
    html = xd.to_html(rec, rows=3)
    assert f"共 {len(rec.qualification_errors())} 条，下表为前 3 条" in html
    assert f"共 {len(rec.not_registered())} 条" in html and "新生状态" in html


def test_reconcile_chart_shows_the_counts(rec):
    fig = xd.chart(rec)
    assert "核对结果" in fig.layout.title.text
    c = rec.counts
    from xueji_lib.matching.reconcile import STATUS_ZH

    got = {tr.name: dict(zip(tr.x, tr.y)) for tr in fig.data}
    assert got["注册上报"][STATUS_ZH["matched"]] == c["registration"]["matched"]
    assert got["录取数据"][STATUS_ZH["not_registered"]] == c["admission"]["not_registered"]


def test_reconcile_html_holds_no_id_number(rec, hei):
    adm, reg, _ = hei
    ids = id_values(reg["SFZH"], adm["SFZH"]) if "SFZH" in adm else id_values(reg["SFZH"])
    assert len(ids) > 900
    html = xd.to_html(rec, rows=100_000)
    assert shown_ids(html, ids) == [] and shown_ids(xd.to_text(rec), ids) == []


# ----------------------------------------------------------------------------------------- validation


def test_validation_html_counts_equal_object_and_add_up(val, hei):
    reg = hei[1]
    d = val.to_dict()
    t = summary_from_html(val).set_index("项目")
    assert t.loc["合计", "记录数"] == d["total"] == len(reg)
    assert t.loc["通过校验", "记录数"] == d["passed"] and t.loc["有误", "记录数"] == d["failed"]
    assert d["failed"] > 0 and t.loc["通过校验", "记录数"] + t.loc["有误", "记录数"] == t.loc["合计", "记录数"]
    assert t.loc["通过校验", "处数"] + t.loc["有误", "处数"] == t.loc["合计", "处数"] == len(val.findings)
    for code, r in d["rules"].items():
        row = next(k for k in t.index if k.endswith(f"] {code}"))
        assert (t.loc[row, "记录数"], t.loc[row, "处数"]) == (r["records"], r["findings"]), code
    rule_rows = [k for k in t.index if k.startswith("[")]
    assert len(rule_rows) == len(d["rules"]) and t.loc[rule_rows, "处数"].sum() == len(val.findings)
    for sev, zh in (("error", "错误"), ("warning", "警告"), ("info", "提示")):
        assert t.loc[f"含{zh}的记录", "处数"] == d["findings"][sev]
        assert t.loc[f"含{zh}的记录", "记录数"] == val.findings.loc[val.findings["severity"] == sev, "row"].nunique()


def test_validation_text_has_the_same_figures(val):
    text = printed(val)
    d = val.to_dict()
    assert f"记录 {d['total']} 条：通过 {d['passed']} 条，有误 {d['failed']} 条" in text
    for code, r in d["rules"].items():
        assert re.search(rf"（{code}）：{r['findings']} 处，涉及 {r['records']} 条记录", text), code


def test_validation_lists_and_chart(val):
    lists = xd.list_frames(val, rows=5)
    assert lists["数据有误记录"].attrs["total"] == val.failed_count
    assert lists["问题明细"].attrs["total"] == len(val.findings) and len(lists["问题明细"]) == 5
    assert {"行号", "关键字段", "规则代码", "级别", "说明"} <= set(lists["问题明细"].columns)
    assert set(lists["问题明细"]["级别"]) <= {"错误", "警告", "提示"}
    fig = xd.chart(val)
    top = dict(zip(fig.data[0].y, fig.data[0].x))  # the error trace
    assert top["SFZH_DUPLICATE（错误）"] == val.to_dict()["rules"]["SFZH_DUPLICATE"]["findings"]
    assert "规则" in fig.layout.title.text


def test_validation_masks_id_numbers(val, hei, k12val, rosters):
    reg = hei[1]
    ids = id_values(reg["SFZH"])
    html, text = xd.to_html(val, rows=100_000), xd.to_text(val)
    assert shown_ids(html, ids) == [] and shown_ids(text, ids) == []
    # the masked form of a planted bad ID number is shown
    row = int(val.findings.loc[val.findings["rule"] == "SFZH_CHECKSUM", "row"].iloc[0])
    assert mask_id(reg["SFZH"].iloc[row - 1]) in html
    new = rosters[1]
    kids = id_values(new["SFZJH"], new["XJH"])
    html = xd.to_html(k12val, rows=100_000)
    assert shown_ids(html, kids) == []
    first = xd.list_frames(k12val, rows=100_000)["问题明细"]
    assert first["关键字段"].str.contains(r"\*{5}").all()


# ------------------------------------------------------------------------------------ compare / handoff


def test_compare_html_counts_equal_object_and_add_up(cmp_, rosters):
    old, new, ch = rosters[:3]
    t = by_side(summary_from_html(cmp_))
    from xueji_lib.matching.compare import STATUS_ZH

    d = cmp_.to_dict()
    for side, title, n in (
        ("old", "上期名单（2025秋）", len(old)),
        ("new", "本期名单（2026春）", len(new)),
        ("changes", "异动名单", len(ch)),
    ):
        expected = {STATUS_ZH[s]: v for s, v in cmp_.counts[side].items() if s != "total"}
        assert {k: v for k, v in t[title].items() if k != "合计"} == expected
        assert t[title]["合计"] == d[side]["total"] == n == sum(expected.values())
    assert cmp_.counts["old"]["removed"] > 0


def test_compare_text_has_the_same_figures(cmp_):
    text = printed(cmp_)
    from xueji_lib.matching.compare import NEW_STATUSES, OLD_STATUSES, STATUS_ZH

    for side, statuses in (("old", OLD_STATUSES), ("new", NEW_STATUSES)):
        n = len(getattr(cmp_, side))
        line = next(x for x in text.splitlines() if f" {n} 条 = " in x)
        for s in statuses:
            assert f"{STATUS_ZH[s]} {cmp_.counts[side][s]}" in line
    assert text.strip() == xd.to_text(cmp_)


def test_compare_lists_chart_and_school_frame(cmp_):
    lists = xd.list_frames(cmp_)
    lost = cmp_.unexplained_removals()
    assert lists["疑似流失"].attrs["total"] == len(lost) > 0
    assert lists["疑似流失"]["姓名"].tolist() == lost["XM"].head(10).tolist()
    assert set(lists["疑似流失"]["年级"]) <= {
        "小学一年级",
        "小学二年级",
        "小学三年级",
        "小学四年级",
        "小学五年级",
        "小学六年级",
        "初中一年级",
        "初中二年级",
        "初中三年级",
        "高中一年级",
        "高中二年级",
        "高中三年级",
    }
    assert lists["异动名单"].attrs["total"] == len(cmp_.changes)
    schools = xd.school_frame(cmp_)
    assert schools.iloc[-1]["学校"] == "合计" and schools.iloc[-1]["其中疑似流失"] == len(lost)
    assert schools.iloc[-1]["上期人数"] == len(cmp_.old) and schools.iloc[-1]["本期人数"] == len(cmp_.new)
    fig = xd.chart(cmp_)
    assert fig.layout.title.text == "各校学籍变动"
    lost_trace = next(tr for tr in fig.data if tr.name == "其中疑似流失")
    assert sum(lost_trace.y) == len(lost)


def test_compare_masking_and_unmask(cmp_, cmp_raw, rosters):
    old, new, ch = rosters[:3]
    ids = id_values(old["SFZJH"], new["SFZJH"], old["XJH"], new["XJH"])
    phones = {v for v in pd.concat([old["LXDH"], new["LXDH"]]).dropna().astype(str) if re.fullmatch(r"1\d{10}", v)}
    for res in (cmp_, cmp_raw):
        html = xd.to_html(res, rows=100_000)
        assert shown_ids(html, ids) == [] and shown_ids(xd.to_text(res), ids) == []
        assert not [p for p in phones if p in html]
    lost = cmp_.unexplained_removals()
    raw_key = old["XJH"].iloc[int(lost["row"].iloc[0]) - 1].strip()
    assert mask_id(raw_key) in xd.to_html(cmp_) and raw_key not in xd.to_html(cmp_)
    # the result computed unmasked holds the raw values; display masks them unless asked not to
    assert raw_key in cmp_raw.unexplained_removals()["key"].tolist()
    assert mask_id(raw_key) in xd.to_html(cmp_raw) and raw_key not in xd.to_html(cmp_raw)
    shown = xd.to_html(cmp_raw, rows=100_000, unmask=True)
    assert raw_key in shown and shown_ids(shown, ids)
    changed = cmp_raw.old[cmp_raw.old["changed_fields"].fillna("").str.contains("LXDH")]
    phone = old["LXDH"].iloc[int(changed["row"].iloc[0]) - 1].strip()
    assert phone in shown and mask_phone(phone) in xd.to_html(cmp_raw, rows=100_000)
    assert phone not in xd.to_html(cmp_raw, rows=100_000)


def test_handoff_counts_text_and_masking(hand, hand_raw, rosters):
    grad, intake = rosters[3:]
    t = by_side(summary_from_html(hand))
    c = hand.counts

    def added(side):
        return sum(v for k, v in c[side].items() if k != "total")

    assert t["毕业生名单"]["合计"] == len(grad) == c["graduates"]["total"] == added("graduates")
    assert t["新生名单"]["合计"] == len(intake) == c["intake"]["total"] == added("intake")
    assert (
        t["毕业生名单"]["已升学"] == c["graduates"]["enrolled"]
        and t["毕业生名单"]["未找到"] == c["graduates"]["not_enrolled"]
    )
    text = printed(hand)
    assert (
        f"毕业生 {len(grad)} 人 = 已升学 {c['graduates']['enrolled']} + 未找到 {c['graduates']['not_enrolled']}" in text
    )
    ids = id_values(grad["SFZJH"], grad["XJH"], intake["SFZJH"], intake["XJH"])
    assert shown_ids(xd.to_html(hand_raw, rows=100_000), ids) == []
    assert shown_ids(xd.to_html(hand_raw, rows=100_000, unmask=True), ids)
    assert xd.list_frames(hand)["未找到的毕业生"].attrs["total"] == c["graduates"]["not_enrolled"]


# ----------------------------------------------------------------------------------- stats / photos / load


def test_stats_html_counts_equal_object_and_add_up(stats, k12stats, hei, rosters):
    for res, n in ((stats, len(hei[1])), (k12stats, len(rosters[1]))):
        t = tables(xd.to_html(res))[0].set_index("项目")
        assert int(t.loc["记录数", "数值"]) == res.total == n
        for title, table in res.tables.items():
            if title == "各专业注册率":
                continue
            assert int(t.loc[f"{title}：合计", "数值"]) == int(table.iloc[-1]["人数"]) == n, title
        assert f"共 {n} 条记录" in printed(res)
    rate = stats.tables["各专业注册率"].iloc[-1]
    t = tables(xd.to_html(stats))[0].set_index("项目")
    assert int(t.loc["各专业注册率：录取人数", "数值"]) == rate["录取人数"] == len(hei[0])
    assert int(t.loc["各专业注册率：注册一致", "数值"]) == rate["注册一致"]
    assert f"注册一致 {int(rate['注册一致'])} 人" in printed(stats)
    t = tables(xd.to_html(k12stats))[0].set_index("项目")
    assert int(t.loc["上期记录数", "数值"]) == k12stats.previous_total == len(rosters[0])
    assert int(t.loc["增减", "数值"]) == len(rosters[1]) - len(rosters[0])


def test_stats_lists_and_chart(k12stats):
    lists = xd.list_frames(k12stats, rows=4)
    assert list(lists) == list(k12stats.tables)
    assert lists["按班级"].attrs["total"] == len(k12stats.tables["按班级"]) and len(lists["按班级"]) == 4
    fig = xd.chart(k12stats)
    assert fig.layout.title.text == "学生人数（按学校）"
    now = next(tr for tr in fig.data if tr.name == "人数")
    assert sum(now.y) == k12stats.total


def test_photo_counts_text_and_masking(photos, hei):
    res, n = photos
    t = by_side(summary_from_html(res), "数量")
    d = res.to_dict()
    assert t["学生"]["合计"] == d["students"]["total"] == n
    assert t["学生"]["照片合格"] + t["学生"]["没有照片"] + t["学生"]["照片有问题"] == n
    assert t["照片文件"]["合计"] == d["files"]["total"] == sum(v for k, v in t["照片文件"].items() if k != "合计")
    text = printed(res)
    assert f"学生 {n} 名 = 照片合格 {d['students']['matched']} + 没有照片 {d['students']['without_photo']}" in text
    ids = id_values(hei[1]["SFZH"])
    html = xd.to_html(res, rows=100_000)
    assert shown_ids(html, ids) == []
    missing = res.missing_list
    assert mask_id(hei[1]["SFZH"].iloc[int(missing["row"].iloc[0]) - 1]) in html


def test_load_report(hei):
    reg = hei[1]
    rep = xj.load_report(reg)
    t = tables(xd.to_html(rep))[0].set_index("项目")
    assert int(t.loc["读入记录", "数量"]) == rep.records == len(reg)
    assert int(t.loc["字段", "数量"]) == len(rep.fields)
    assert printed(rep).strip() == rep.summary() and f"读入记录：{len(reg)} 条" in str(rep)
    assert xd.chart(rep) is None


# ------------------------------------------------------------------------------- HTML, charts, notebooks


@pytest.fixture(scope="module")
def all_results(rec, val, cmp_, hand, stats, k12stats, photos, hei):
    return [rec, val, cmp_, hand, stats, k12stats, photos[0], xj.load_report(hei[1])]


def test_chart_is_a_plotly_div_without_plotlyjs_or_outside_host(all_results):
    for res in all_results:
        html = xd.to_html(res)
        assert not re.search(r"https?://|//cdn|cdn\.plot\.ly", html), type(res).__name__
        assert "<script src" not in html.replace(" ", "")
        if xd.chart(res) is None:
            assert "plotly-graph-div" not in html
            continue
        assert html.count('class="plotly-graph-div"') == 1 and "Plotly.newPlot" in html
        assert len(html) < 500_000  # plotly.js itself (about 4 MB) is not inside
        assert "window.Plotly" in html  # drawn only where the page has plotly.js
        assert "plotly-graph-div" not in xd.to_html(res, chart=False)


def test_repr_html_is_the_notebook_display(all_results):
    from IPython.core.formatters import DisplayFormatter

    fmt = DisplayFormatter()
    for res in all_results:
        assert hasattr(type(res), "_repr_html_"), type(res).__name__
        html = res._repr_html_()
        assert html == xd.to_html(res, chart=False)
        assert "<script" not in html and "<table" in html
        data, _ = fmt.format(res)
        assert data["text/html"] == html


def test_html_escapes_and_bad_input():
    bad = xj.reconcile(
        pd.DataFrame({"KSH": ["26110101000001"], "XM": ["<b>张三</b>"]}),
        pd.DataFrame({"KSH": ["26110101000002"], "XM": ["<script>x</script>"]}),
        year=2026,
    )
    html = xd.to_html(bad)
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
    with pytest.raises(TypeError, match="只认识 xueji_lib 的结果对象"):
        xd.summary_frame(pd.DataFrame())


def test_display_module_is_light_until_a_chart_is_made():
    code = (
        "import sys, xueji_lib, xueji_lib.reporting.display; "
        "print(','.join(m for m in ('plotly', 'ipywidgets', 'duckdb', 'IPython') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == ""
