"""compare's fast paths (issue 19) against their plain paths, on randomised realistic inputs: the sparse result
columns, the distinct patterns of changed fields, the field comparison that normalises only what differs as
written, the change records looked up and joined per record a group at a time, and — end to end — every
sentence about a removal, an addition, a move and a change record, worked out here record by record the plain
way (as compare did before it worked them out a group at a time)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from xueji_lib.core.normalize import STR
from xueji_lib.core.privacy import mask_series, mask_value
from xueji_lib.io.source import ListSource
from xueji_lib.matching import compare as C
from xueji_lib.matching import keyjoin
from xueji_lib.matching.compare import compare
from xueji_lib.matching.record_match import _STATUS_CODE
from xueji_lib.matching.roster import (
    STATUS_ZH,
    _categorical_text,
    _coded_text,
    _mask_ids_fixed,
    _mask_keys,
    _Roster,
    _sparse,
    _sparse_at,
    _star_span,
)
from xueji_lib.samples.scale import make_roster_pair
from xueji_lib.schema.codes import load_code_table
from xueji_lib.schema.layouts import load_layout

WORDS = [
    "",
    "不变",
    "信息变化",
    "第 3 行：转出（20260115）",
    "𠮷字",
    "a",
    "湖南省示范县青松路 12 号",
    " 空格 ",
    "ASCII text",
]


def random_texts(rng, k):
    return [str(rng.choice(WORDS)) + str(rng.choice(WORDS)) for _ in range(k)]


def plain_column(n, texts: dict, fill):
    return pd.Series(pd.array([texts.get(i, fill) for i in range(n)], dtype=STR))


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("fill", [None, "", "未说明"])
def test_sparse_columns_equal_the_plain_column(seed, fill):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 7, 300]))
    at = rng.permutation(n)[: int(rng.integers(0, n + 1))]  # distinct, in any order (none, one, all)
    texts = random_texts(rng, len(at))
    want = plain_column(n, dict(zip(at.tolist(), texts)), fill)
    got = _sparse_at(n, at, texts, fill)
    pd.testing.assert_series_equal(got, want)
    values = np.full(n, None, object)
    values[at] = texts
    pd.testing.assert_series_equal(_sparse(values, fill), want)


@pytest.mark.parametrize("shape", [(1, 1), (1, 13), (2, 2), (200, 3), (500, 9), (300, 70)])
def test_distinct_rows_are_np_unique_rows(shape):
    rng = np.random.default_rng(shape[0] * 100 + shape[1])
    bits = rng.random(shape) < rng.choice([0.02, 0.3])
    first, which = C._distinct_rows(bits)
    patterns = np.unique(bits, axis=0)
    assert len(first) == len(patterns)
    assert (bits[first][which] == bits).all()  # each row's pattern is its own
    for j, i in enumerate(first.tolist()):  # first: the first copy of each
        assert not (bits[:i] == bits[i]).all(axis=1).any()
        assert which[i] == j


@pytest.mark.parametrize("seed", range(10))
def test_group_joins_equal_python_joins(seed):
    rng = np.random.default_rng(seed)
    groups = int(rng.choice([0, 1, 5, 50]))
    counts = rng.integers(0, 4, groups)
    k = np.repeat(np.arange(groups), counts)
    texts = np.array(random_texts(rng, len(k)), object)
    kinds = np.array([str(rng.choice(["转出", "转入", "调班", "", "休学"])) for _ in range(len(k))], object)
    assert C._group_join(k, texts, groups, "；") == ["；".join(texts[k == g]) for g in range(groups)]
    assert C._joined_kinds(k, kinds, groups) == ["、".join(dict.fromkeys(kinds[k == g])) for g in range(groups)]
    assert C._any_per(k, groups).tolist() == [bool((k == g).any()) for g in range(groups)]


@pytest.mark.parametrize("seed", range(10))
def test_change_records_looked_up_as_per_record_lists(seed):
    rng = np.random.default_rng(seed)
    n_changes, n_records = int(rng.integers(1, 40)), int(rng.integers(1, 30))
    pos, row = {}, {}
    per: dict[str, dict[int, list[int]]] = {}
    for side in ("o", "n"):
        p = np.sort(rng.integers(0, n_records, int(rng.integers(0, 50))))
        r = rng.integers(0, n_changes, len(p))
        pos[side], row[side] = p, r
        per[side] = {}
        for a, b in zip(p.tolist(), r.tolist()):
            per[side].setdefault(a, []).append(b)
    recs = C._ChangeRecs(n_changes, pos, row, np.array(["x"] * n_changes, object), np.array(["t"] * n_changes, object))
    idx = rng.integers(0, n_records, int(rng.integers(0, 12)))
    k, r = recs.of("o", idx)
    assert [r[k == j].tolist() for j in range(len(idx))] == [per["o"].get(i, []) for i in idx.tolist()]
    a, b = rng.integers(0, n_records, len(idx)), rng.integers(0, n_records, len(idx))
    k, r = recs.of_pairs(a, b)
    want = [list(dict.fromkeys(per["o"].get(x, []) + per["n"].get(y, []))) for x, y in zip(a.tolist(), b.tolist())]
    assert [r[k == j].tolist() for j in range(len(a))] == want
    assert recs.about("n", int(idx[0]) if len(idx) else 0) == per["n"].get(int(idx[0]) if len(idx) else 0, [])


def messy(rng, n):
    """A small k12 roster whose values are written in several ways: padded, a label for a code, dates with
    dashes, empty or missing, non-ASCII."""

    def pick(options):
        return [options[i] for i in rng.integers(0, len(options), n)]

    return pd.DataFrame(
        {
            "XM": pick(["张三", " 张三", "张三 ", "𠮷明", None, ""]),
            "XB": pick(["1", "男", " 1", "2", "女", None, "9"]),
            "MZ": pick(["01", "汉族", "02", "蒙古族", "", None]),
            "CSRQ": pick(["20160115", "2016-01-15", "2016/1/15", "20161315", "", None]),
            "NJ": pick(["13", "小学三年级", "毕业", None]),
            "JTDZ": pick(["湖南省示范县青松路 12 号", "湖南省示范县青松路 12 号 ", None]),
        },
        dtype="str",
    )


@pytest.mark.parametrize("seed", range(8))
def test_field_comparison_equals_the_plain_normalised_comparison(seed):
    rng = np.random.default_rng(seed)
    lay = load_layout("k12_student")
    n_o, n_n = int(rng.integers(1, 60)), int(rng.integers(1, 60))
    o = _Roster(ListSource.of(messy(rng, n_o)), lay, "old")
    n = _Roster(ListSource.of(messy(rng, n_n)), lay, "new")
    for size in (0, 1, 200):
        a, b = rng.integers(0, n_o, size), rng.integers(0, n_n, size)
        for f in ("XM", "XB", "MZ", "CSRQ", "NJ", "JTDZ"):
            plain = o.norm_at(f, a).to_numpy(dtype=object) != n.norm_at(f, b).to_numpy(dtype=object)
            assert C._field_differs(o, n, f, a, b).tolist() == np.asarray(plain, bool).tolist(), f
            assert C._differs(o.norm_at(f, a), n.norm_at(f, b)).tolist() == np.asarray(plain, bool).tolist(), f


# ------------------------------------------------------------------------- sentences, end to end, plain way

KINDS = ["转出", "转入", "调班", "升级", "休学", "死亡", "复学", "招生", "借读", "其他", ""]


def scenario(seed):
    """Two rosters (removals, additions, class and school moves, changed addresses) and a change list with
    several records of many kinds for some pupils, dates that tie, reasons in Chinese."""
    old, new, ch = make_roster_pair(600, seed=seed, change_rate=0.2)
    rng = np.random.default_rng(seed)
    both = np.flatnonzero(new["XJH"].isin(old["XJH"]))
    moved = rng.choice(both, 20, replace=False)
    new.loc[moved, "XXMC"] = new.loc[moved, "XXMC"] + "分校"
    people = pd.concat([old.sample(60, random_state=seed), new.sample(60, random_state=seed + 1)])
    extra = people[["XXBSM", "XXMC", "XJH", "XM", "XB", "CSRQ", "SFZJH"]].assign(
        YDLB=rng.choice(KINDS, len(people)),
        YDRQ=rng.choice(["20260115", "20260301", "", "20251201"], len(people)),
        DFXX=rng.choice(["", "示范县第二小学", "外省 学校"], len(people)),
        YDYY=rng.choice(["", "随父母务工", "病"], len(people)),
    )
    ch = pd.concat([ch, extra, extra.head(10).assign(YDLB="转入")], ignore_index=True).astype("str")
    return old, new, ch.sample(frac=1, random_state=seed).reset_index(drop=True)


def plain_change_lists(old, new, ch):
    """Per side {position: [change records]} (row, type, text), each list in (date, row) order, built record by
    record from the matching of the change list (which is not what is tested here)."""
    lay = load_layout("k12_student")
    o, n = _Roster(ListSource.of(old), lay, "old"), _Roster(ListSource.of(new), lay, "new")
    got = C._changes(o, n, "XJH", ListSource.of(ch), "k12_changes")
    c, kinds = got["roster"], got["types"].tolist()
    at = {f: c.at(f, np.arange(c.n)).tolist() for f in ("YDRQ", "XXMC", "DFXX", "YDYY")}
    texts = {}
    for i in np.unique(got["fc"]).tolist():
        bits = [
            x
            for x in (
                at["YDRQ"][i],
                at["XXMC"][i],
                f"对方学校 {at['DFXX'][i]}" if at["DFXX"][i] else "",
                f"原因 {at['YDYY'][i]}" if at["YDYY"][i] else "",
            )
            if x
        ]
        # a frame made in memory: its rows are named by position
        text = f"第 {i + 1} 行：{kinds[i]}" + (f"（{'，'.join(bits)}）" if bits else "")
        texts[i] = {"row": i, "type": kinds[i], "date": at["YDRQ"][i], "text": text}
    per: dict[str, dict[int, list]] = {"o": {}, "n": {}}
    for c_, s, i in zip(got["fc"].tolist(), got["fs"].tolist(), got["fi"].tolist()):
        per[s].setdefault(i, []).append(texts[c_])
    for side in per.values():
        for recs in side.values():
            recs.sort(key=lambda t: (t["date"], t["row"]))
    return o, n, per


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_sentence_is_the_plain_record_by_record_sentence(seed):
    old, new, ch = scenario(seed)
    res = compare(old, new, changes=ch)
    o, n, per = plain_change_lists(old, new, ch)
    ro, rn = res.old, res.new
    explained: set[int] = set()
    expect: dict[tuple[str, int], tuple[str, object, object]] = {}  # (side, position) → reason, explained, type
    for side, frame, recs, want, other, what in (
        ("o", ro, per["o"], C.REMOVAL_TYPES, "新名单", "removed"),
        ("n", rn, per["n"], C.ADDITION_TYPES, "旧名单", "added"),
    ):
        for i in np.flatnonzero(frame["status"].to_numpy() == what).tolist():
            rec = recs.get(i, [])
            fit = [c for c in rec if c["type"] in want]
            if fit:
                lead = f"{other}中没有这名学生" if what == "removed" else f"{other}中原来没有这名学生"
                reason = lead + "；异动名单" + "；".join(c["text"] for c in fit)
                expect[side, i] = (reason, True, "、".join(dict.fromkeys(c["type"] for c in fit)))
                explained.update(c["row"] for c in fit)
                continue
            if what == "removed":
                reason = (
                    f"{other}中没有这名学生，异动名单中也没有转出、退学、休学等记录：疑似流失，请核实去向（控辍保学）"
                )
            else:
                reason = f"{other}中原来没有这名学生，异动名单中也没有转入、复学、招生等记录：请核实来源"
            if rec:
                reason += "（异动名单中只有" + "；".join(c["text"] for c in rec) + "，不能解释这一变化）"
            expect[side, i] = (reason, False, None)
    for a in np.flatnonzero(ro["status"].isin(["moved", "changed"]).to_numpy()).tolist():
        b = int(ro["counterpart_row"].iat[a]) - 1
        parts, detail = [], []
        wo, wn = o.where(np.array([a]))[0], n.where(np.array([b]))[0]
        if old["XXMC"].iat[a] != new["XXMC"].iat[b]:
            parts.append(f"转学：{wo} → {wn}")
        elif old["BJ"].iat[a] != new["BJ"].iat[b]:
            parts.append(f"调班或年级变化：{wo} → {wn}")
        if old["JTDZ"].iat[a] != new["JTDZ"].iat[b]:
            x, y = mask_value("address", old["JTDZ"].iat[a]), mask_value("address", new["JTDZ"].iat[b])
            detail.append(f"家庭地址：{x} → {y}" + ("（内容不同，已遮盖）" if x == y else ""))
        text = "；".join(parts)
        if detail:
            text += ("；其他变化：" if text else "信息变化：") + "；".join(detail)
        expl, typ = None, None
        if ro["status"].iat[a] == "moved":
            rec = list({c["row"]: c for c in per["o"].get(a, []) + per["n"].get(b, [])}.values())
            types = {c["type"] for c in rec}
            if parts[0].startswith("转学"):
                fit = [c for c in rec if c["type"] in ("转出", "转入")]
                if "转出" in types and "转入" in types:
                    expl, typ = True, "转出+转入"
                    text += "；异动名单" + "；".join(c["text"] for c in fit)
                    explained.update(c["row"] for c in fit)
                else:
                    expl = False
                    lacking = "、".join(t for t in ("转出", "转入") if t not in types)
                    text += f"；异动名单中没有这次转学的{lacking}记录"
                    if fit:
                        text += "（只有" + "；".join(c["text"] for c in fit) + "）"
            else:
                fit = [c for c in rec if c["type"] in C.CLASS_TYPES]
                if fit:
                    expl, typ = True, "、".join(dict.fromkeys(c["type"] for c in fit))
                    text += "；异动名单" + "；".join(c["text"] for c in fit)
                    explained.update(c["row"] for c in fit)
        expect["o", a] = expect["n", b] = (text, expl, typ)
    # change records about students whose record shows no such difference
    for side, frame in (("o", ro), ("n", rn)):
        st = frame["status"].to_numpy()
        for i, rec in per[side].items():
            if st[i] in ("unchanged", "changed") or (st[i] == "moved" and not any(c["row"] in explained for c in rec)):
                note = "异动名单" + "；".join(c["text"] for c in rec) + "，但两份名单中都有这名学生：请核实"
                reason = expect.get((side, i), ("", None, None))
                expect[side, i] = (f"{reason[0]}；{note}" if reason[0] else note, reason[1], reason[2])
    assert len(expect) > 100 and explained
    for (side, i), (reason, expl, typ) in expect.items():
        frame = ro if side == "o" else rn
        got = frame.iloc[i]
        assert got["reasons"] == reason, (side, i)
        assert (None if pd.isna(got["explained"]) else bool(got["explained"])) == expl, (side, i)
        assert (None if pd.isna(got["change_type"]) else got["change_type"]) == typ, (side, i)
    quiet = ~pd.Series([("o", i) in expect for i in range(len(ro))]) & (ro["status"] == "unchanged").to_numpy()
    assert (ro.loc[quiet.to_numpy(), "reasons"] == "").all()
    # the change list: each record's sentence
    zh = {s: STATUS_ZH[s] for s in STATUS_ZH}
    for i in range(len(res.changes)):
        row = res.changes.iloc[i]
        where = []
        for side, frame, title in (("old_row", ro, "旧名单"), ("new_row", rn, "新名单")):
            if not pd.isna(row[side]):
                st = frame["status"].iat[int(row[side]) - 1]
                where.append(f"{title}第 {int(row[side])} 行（{zh[st]}）")
        found = f"按学籍号对应到{'，'.join(where)}"
        dup = False
        if i in explained:
            want = f"{found}，说明了这一变化"
        elif where and dup:
            want = f"{found}：这名学生在名单中重复，见该记录的说明"
        elif where:
            want = f"{found}，但名单中没有与之相应的变化：请核实"
        else:
            want = "两份名单中都找不到这名学生（学籍号、身份证件号、姓名+性别+出生日期都对不上）"
        assert row["reasons"] == want, i
        assert row["status"] == ("explains" if i in explained else "no_difference" if where else "not_found")
    assert _STATUS_CODE["moved"] and (ro["status"] == "moved").sum() >= 20


@pytest.mark.parametrize("rows", [0, 1])
def test_tiny_rosters_have_their_sentences(rows):
    old, new, ch = scenario(4)
    old, new = old.head(rows), new.head(rows)
    res = compare(old, new, changes=ch)
    assert len(res.old) == len(res.new) == rows and res.conserved
    assert res.changes["status"].isin(["not_found", "no_difference", "explains"]).all()


# ------------------------------------------------------------------- round 2: result columns and sentences

STATUS_CATEGORIES = ["", "unchanged", "changed", "moved", "removed", "added", "duplicate_key", "missing_key"]


def plain_categorical(values, categories):
    """What ``_categorical_text`` gives, value by value: integer codes name ``categories`` (0 = missing), texts
    stand for themselves ("" = missing)."""
    if values.dtype.kind in "iu":
        got = [categories[c] if c else None for c in values.tolist()]
    else:
        got = [v if v != "" else None for v in values.tolist()]
    return pd.Series(pd.array(got, dtype=STR))


@pytest.mark.parametrize("seed", range(40))
def test_categorical_text_equals_the_plain_column(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 7, 8, 9, 17, 300]))
    k = int(rng.integers(1, len(STATUS_CATEGORIES)))
    cats = STATUS_CATEGORIES[: k + 1] if seed % 3 else ["", "按学籍号", "𠮷字", "XJH", "", "a", "b", "c"][: k + 1]
    shape = seed % 5  # mixed, mostly missing, half missing, one value, mostly one value with a few others
    codes = [
        rng.integers(0, k + 1, n),
        np.where(rng.random(n) < 0.95, 0, rng.integers(1, k + 1, n)),
        np.where(rng.random(n) < 0.5, 0, k),
        np.full(n, int(rng.integers(0, k + 1))),
        np.where(rng.random(n) < 0.97, 1, rng.integers(0, k + 1, n)),
    ][shape].astype(rng.choice([np.int8, np.int32, np.int64]))
    pd.testing.assert_series_equal(_categorical_text(codes, cats), plain_categorical(codes, cats))
    texts = np.array(["", "explains", "not_found", "未知", "𠮷"], object)[rng.integers(0, 5, n)]
    known = ["explains", "no_difference", "not_found"]
    pd.testing.assert_series_equal(_categorical_text(texts, known), plain_categorical(texts, known))
    if n:
        one = np.full(n, 1, np.int8)
        pd.testing.assert_series_equal(_coded_text(one, ["", "old"]), plain_categorical(one, ["", "old"]))


@pytest.mark.parametrize("seed", range(30))
def test_fixed_width_id_masking_equals_mask_series(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 5, 200]))
    width = int(rng.choice([1, 4, 6, 7, 10, 11, 18, 19, 24]))
    alphabet = list("0123456789X") + (["𠮷"] if seed % 4 == 0 else [])
    values = ["".join(rng.choice(alphabet, width)) for _ in range(n)]
    if seed % 3 == 0:
        values = [None if rng.random() < 0.3 else v for v in values]
    if seed % 7 == 0:
        values[0] = "123"  # another length: not this fast path
    s = pd.Series(pd.array(values, dtype=STR))
    for part in (s, s.iloc[1:].reset_index(drop=True)):  # a slice: the column does not start at its buffers
        got = _mask_ids_fixed(part)
        if got is None:
            continue
        pd.testing.assert_series_equal(got, mask_series(part, "id"))
        pd.testing.assert_series_equal(_mask_keys(part, "id", False), mask_series(part, "id"))
    present = [v for v in values if v is not None]
    ascii_fixed = bool(present) and all(v.isascii() and len(v) == len(present[0]) > 0 for v in present)
    assert (_mask_ids_fixed(s) is not None) == bool(ascii_fixed)


@pytest.mark.parametrize("width", range(1, 26))
def test_star_span_equals_the_slice_assignment(width):
    rng = np.random.default_rng(width)
    for count in (0, 1, 3, 50):
        for start in range(width + 1):
            stop = int(rng.integers(start, width + 1))
            rows = rng.integers(0, 127, count * width).astype(np.uint8)
            want = rows.copy()
            want.reshape(-1, width)[:, start:stop] = ord("*")
            _star_span(rows, width, start, stop)
            assert (rows == want).all(), (width, count, start, stop)


def roster_of(frame, name="old"):
    return _Roster(ListSource.of(frame), load_layout("k12_student"), name)


@pytest.mark.parametrize("seed", range(6))
def test_values_shown_and_where_equal_the_plain_ones(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    frame = messy(rng, n).assign(
        XXMC=[["示范县第一小学", "", None, " 青松小学 "][i] for i in rng.integers(0, 4, n)],
        BJ=[["2班", "", None, "（3）班"][i] for i in rng.integers(0, 4, n)],
        XJH=[["G43072320130510020X", "", None, "１２３"][i] for i in rng.integers(0, 4, n)],
        LXDH=[["13812345678", "84561234", "", None][i] for i in rng.integers(0, 4, n)],
    )
    r = roster_of(frame)
    nj = load_code_table("nj")
    for size in (0, 1, 50):
        idx = rng.integers(0, n, size)
        for f in ("XM", "NJ", "BJ", "JTDZ", "XJH"):
            want = r.col(f).take(idx).reset_index(drop=True)
            pd.testing.assert_series_equal(r.values(f, idx), want)
        for f in ("XM", "XB", "MZ", "JTDZ", "XJH", "LXDH"):
            for unmask in (False, True):
                vals = r.at(f, idx)
                codes = r.lfield(f).codes if r.lfield(f) is not None else None
                if codes and len(vals):
                    vals = load_code_table(codes).to_label(vals).fillna(vals)
                kind = None if unmask else r.personal(f)
                want = [("（空）" if v == "" else mask_value(kind, v) if kind else v) for v in vals.tolist()]
                assert r.shown(f, idx, unmask).to_pylist() == want, (f, unmask)
        parts = [r.at("XXMC", idx).tolist(), nj.to_label(r.at("NJ", idx)).fillna(r.at("NJ", idx)).tolist()]
        parts.append(r.at("BJ", idx).tolist())
        want = [" ".join(p for p in t if p) or "（学校、班级空）" for t in zip(*parts)] if size else []
        assert r.where(idx) == want
        assert r.key_at("XM+XB+CSRQ", idx[:0]).tolist() == [] and len(r.key_at("SFZJH", idx[:0])) == 0


@pytest.mark.parametrize("seed", range(12))
def test_change_records_found_through_the_pairs_equal_the_plain_look_up(seed):
    rng = np.random.default_rng(seed)
    n_o, n_n = int(rng.choice([0, 1, 30])), int(rng.choice([0, 1, 40]))
    pool = ["A1", "B2", "C3", "D4", "E5", "𠮷6", "G7", None]

    def keys(k):
        return pa.array([pool[i] for i in rng.integers(0, len(pool), k)], pa.large_string())

    ok, nk = keys(n_o), keys(n_n)
    # pairs by the key as the matching makes them: equal keys, each record at most once
    partner = np.full(n_o, -1, np.int64)
    taken = set()
    for i, v in enumerate(ok.to_pylist()):
        for j, w in enumerate(nk.to_pylist()):
            if v is not None and v == w and j not in taken and rng.random() < 0.7:
                partner[i] = j
                taken.add(j)
                break
    o_paired = partner >= 0
    n_paired = np.zeros(n_n, bool)
    n_paired[list(taken)] = True
    partner[~o_paired] = rng.integers(-1, max(n_n, 1), int((~o_paired).sum()))  # a counterpart found otherwise
    ck = pa.array([pool[i] for i in rng.integers(0, len(pool) - 1, int(rng.integers(0, 12)))], pa.large_string())
    ci = np.arange(len(ck), dtype=np.int64) * 3 + 1
    got = keyjoin._join_few_paired(ci, ck, ok, nk, partner, o_paired, n_paired)
    for side, keys_ in (("o", ok), ("n", nk)):
        want = keyjoin._join_few(ci, ck, keys_)
        assert sorted(zip(*(a.tolist() for a in got[side]))) == sorted(zip(*(a.tolist() for a in want))), side


def test_change_dates_ranked_as_np_unique():
    rng = np.random.default_rng(5)
    for size in (0, 1, 9, 300):
        date = [["20260115", "", "20251201", "2026-01-15", "𠮷", "a"][i] for i in rng.integers(0, 6, size)]
        arr = pa.array(date, pa.large_string())
        want = np.unique(np.array(date, object), return_inverse=True)[1].reshape(-1) if size else []
        got = pc.rank(arr, sort_keys="ascending", tiebreaker="dense").to_numpy().astype(np.int64) - 1
        assert got.tolist() == list(want)


@pytest.mark.parametrize("seed", range(6))
def test_change_sentence_parts_equal_the_plain_join(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.choice([0, 1, 40]))

    def col(options):
        return [options[i] for i in rng.integers(0, len(options), size)]

    date, school = col(["20260115", ""]), col(["示范县青松小学", "", "a b"])
    other, why = col(["", "示范县第二小学", "𠮷"]), col(["", "随父母务工"])
    want = [
        "，".join(x for x in (d, s, f"对方学校 {o}" if o else "", f"原因 {w}" if w else "") if x)
        for d, s, o, w in zip(date, school, other, why)
    ]
    got = C._joined_parts(*(pa.array(x, pa.large_string()) for x in (date, school, other, why)))
    assert got.to_pylist() == want


@pytest.mark.parametrize("seed", range(16))
def test_narrowed_key_look_up_equals_the_plain_one(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.choice([0, 1, 2, 50, 3000]))
    width = int(rng.choice([4, 8, 9, 18, 19]))
    digits = np.array(list("0123456789X"))
    keys = ["G" + "".join(rng.choice(digits, width - 1)) for _ in range(n)]
    if seed % 4 == 1 and n:
        keys[0] = None  # a missing key: every key looked up
    if seed % 4 == 2 and n:
        keys[-1] = keys[-1][:-1]  # another length: every key looked up
    if seed % 4 == 3 and n:
        keys[0] = "𠮷" + keys[0][4:]  # non-ASCII of the same byte length
    col = pa.array(keys, pa.large_string())
    pool = [k for k in keys if k is not None]
    few = [pool[i] for i in rng.integers(0, len(pool), int(rng.integers(0, 9)))] if pool else []
    few += ["G" + "".join(rng.choice(digits, width - 1)), "short", "𠮷" * 3]  # not in the column
    ck = pa.array(few, pa.large_string())
    ci = np.arange(len(ck), dtype=np.int64) + 5
    maybe = keyjoin._may_hold(col, ck)
    if maybe is not None:  # a superset of the records that hold one of the few
        held = np.flatnonzero(np.asarray(pc.is_in(col, value_set=ck).to_numpy(zero_copy_only=False), bool))
        assert set(held.tolist()) <= set(maybe.tolist())
    got = keyjoin._join_few_filtered(ci, ck, col)
    want = keyjoin._join_few(ci, ck, col)
    assert sorted(zip(*(a.tolist() for a in got))) == sorted(zip(*(a.tolist() for a in want)))
