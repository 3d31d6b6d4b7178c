"""The synthetic sample generator: determinism, vectorised scale, and the planted problems.

Every planted problem in data_samples/planted.csv is re-derived here independently of the generator (the
check digit recomputed, the files read with dbfread / openpyxl / csv, not with xueji's own loaders), and
the records *not* listed are checked to be clean, so that a later validator or reconciler that finds
something else has found a real bug, not an accident of the samples.
"""

from __future__ import annotations

import csv
import datetime as dt
import filecmp
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from dbfread import DBF
from PIL import Image

from xueji_lib.core.ids import checksum_ok, to18
from xueji_lib.samples import synth
from xueji_lib.samples.k12_check import CHECK_FILES
from xueji_lib.samples.k12_grad_fix import FILE_GRADUATES_FIX
from xueji_lib.schema.codes import load_code_table
from xueji_lib.schema.layouts import load_layout

REPO = Path(__file__).resolve().parents[1]
HEI_LATE = "hei/10_注册上报_补报.dbf"  # issue 16 (higher education): xueji_lib/samples/hei_late.py, hei_terms.py
HEI_OLD, HEI_NEW, HEI_CH = "hei/在籍学生_2026秋.xlsx", "hei/在籍学生_2027春.xlsx", "hei/学籍异动_2027春.xlsx"
COMMITTED = REPO / "data_samples"
W = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


# -- independent helpers ------------------------------------------------------------------------------


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, W)) % 11]


def id_valid(s: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", s)) and check_char(s[:17]) == s[17]


def real_date(s: str) -> bool:
    try:
        dt.datetime.strptime(s, "%Y%m%d")
        return bool(re.fullmatch(r"\d{8}", s))
    except ValueError:
        return False


XZQH = load_code_table("xzqh")
PROVINCES = {e.code[:2] for e in XZQH.entries} | {"83"}


def adjacent_swap(a: str, b: str) -> bool:
    d = [i for i in range(len(a)) if len(a) == len(b) and a[i] != b[i]]
    return len(d) == 2 and d[1] == d[0] + 1 and a[d[0]] == b[d[1]] and a[d[1]] == b[d[0]]


def near(a: str, b: str) -> bool:
    if len(a) != len(b):
        return False
    d = sum(x != y for x, y in zip(a, b))
    return d <= 1 or adjacent_swap(a, b)


def read_dbf_plain(path: Path) -> pd.DataFrame:
    rows = list(DBF(str(path), encoding="gb18030", char_decode_errors="strict"))
    return pd.DataFrame(rows).astype(str)


def read_xlsx_plain(path: Path, layout: str) -> tuple[pd.DataFrame, dict]:
    """Values exactly as stored (no stripping), plus {(data row, code): python type} of non-text cells."""
    lay = load_layout(layout)
    by_name = {f.name: f.code for f in lay.fields}
    ws = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    codes = [by_name[h] for h in rows[0]]
    types = {}
    data = []
    for i, r in enumerate(rows[1:], start=1):
        rec = []
        for c, v in zip(codes, r):
            if v is not None and not isinstance(v, str):
                types[(i, c)] = type(v)
            rec.append("" if v is None else str(v))
        data.append(rec)
    return pd.DataFrame(data, columns=codes), types


def read_xlsx_sheets_plain(path: Path, layout: str) -> pd.DataFrame:
    """Every sheet's data rows one after the other (the header: the first row naming 姓名, a title row may be above
    it), as ``read_table`` lists a workbook of several sheets; headers not in the layout (备注) kept as they are."""
    by_name = {f.name: f.code for f in load_layout(layout).fields}
    parts = []
    for ws in openpyxl.load_workbook(path, read_only=True).worksheets:
        rows = list(ws.iter_rows(values_only=True))
        h = next(i for i, r in enumerate(rows) if "姓名" in r)
        data = [["" if v is None else str(v) for v in r] for r in rows[h + 1 :]]
        parts.append(pd.DataFrame(data, columns=[by_name.get(x, x) for x in rows[h]]))
    return pd.concat(parts, ignore_index=True).fillna("")


def read_csv_plain(path: Path, layout: str) -> pd.DataFrame:
    lay = load_layout(layout)
    by_name = {f.name: f.code for f in lay.fields}
    with open(path, encoding="gbk", newline="") as fh:
        rows = list(csv.reader(fh))
    return pd.DataFrame(rows[1:], columns=[by_name[h] for h in rows[0]])


# -- fixtures ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    synth.write_samples(out)
    return out


@pytest.fixture(scope="module")
def files(fresh):
    hei = {
        f: read_dbf_plain(fresh / f)
        for f in (
            synth.FILE_ADMISSION_10,
            synth.FILE_REGISTRATION_10,
            synth.FILE_STATES_10,
            synth.FILE_ADMISSION_50,
            synth.FILE_REGISTRATION_50,
        )
    }
    k12, types = {}, {}
    for f in (synth.FILE_ROSTER_OLD, synth.FILE_ROSTER_NEW, synth.FILE_GRADUATES, synth.FILE_INTAKE):
        k12[f], types[f] = read_xlsx_plain(fresh / f, "k12_student")
    k12[synth.FILE_CHANGES], types[synth.FILE_CHANGES] = read_xlsx_plain(fresh / synth.FILE_CHANGES, "k12_changes")
    k12[synth.FILE_ROSTER_CSV] = read_csv_plain(fresh / synth.FILE_ROSTER_CSV, "k12_student")
    k12[FILE_GRADUATES_FIX], types[FILE_GRADUATES_FIX] = read_xlsx_plain(fresh / FILE_GRADUATES_FIX, "k12_student")
    for f in CHECK_FILES:  # issue 16, K-12: the 学籍核查 workbooks, sheets 在校 and 离校
        k12[f] = read_xlsx_sheets_plain(fresh / f, "k12_student")
    # issue 16, higher education: the hand-made 补报 DBF, a university's rosters and its 学籍异动 list
    hei[HEI_LATE] = read_dbf_plain(fresh / HEI_LATE)
    for f, layout in ((HEI_OLD, "chsi_registration"), (HEI_NEW, "chsi_registration"), (HEI_CH, "hei_changes")):
        hei[f], types[f] = read_xlsx_plain(fresh / f, layout)
    return {**hei, **k12}, types


@pytest.fixture(scope="module")
def planted(fresh) -> pd.DataFrame:
    p = pd.read_csv(fresh / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(p.columns) == list(synth.PLANTED_COLUMNS)
    return p


# -- basic functions ----------------------------------------------------------------------------------


def test_embedded_reference_data_is_real():
    for code, _ in synth.AREAS:
        assert XZQH.lookup(str(code)) is not None, code
    mz = load_code_table("mz")
    for code, label in synth.MZ_LABEL.items():
        assert mz.lookup(code).label == label
    zzmm = load_code_table("zzmm")
    for code, label in synth.ZZMM_LABEL.items():
        assert zzmm.lookup(code).label == label
    cc, xz, xxxs = load_code_table("cc"), load_code_table("xz"), load_code_table("xxxs")
    for m in synth.MAJORS_10 + synth.MAJORS_50:
        assert cc.lookup(m[2]) is not None and xz.lookup(m[3]) is not None
    for x, _ in synth.XXXS_50:
        assert xxxs.lookup(x) is not None
    for ch in "".join(synth.GIVEN_MALE + synth.GIVEN_FEMALE + synth.RARE_MALE + synth.RARE_FEMALE + synth.SURNAMES):
        ch.encode("gbk")
    with pytest.raises(UnicodeEncodeError):
        synth.RARE_OUTSIDE_GBK.encode("gbk")
    synth.RARE_OUTSIDE_GBK.encode("gb18030")


def test_people_200k_vectorised():
    p = synth.make_people(200_000, seed=3, areas=synth._national_areas())
    assert len(p) == 200_000
    assert p["SFZH"].is_unique
    assert checksum_ok(p["SFZH"]).all()
    assert (p["SFZH"].str.slice(6, 14) == p["CSRQ"]).all()
    sex_digit = p["SFZH"].str.slice(16, 17).astype(int)
    assert ((sex_digit % 2 == 1) == (p["XB"] == 1)).all()
    assert p["XM"].str.len().between(2, 12).all()
    assert not p["XM"].str.contains(r"[0-9A-Za-z?\s]").any()


def test_registration_frame_200k():
    df = synth.make_registration_frame(200_000, seed=2)
    assert len(df) == 200_000
    assert list(df.columns) == list(synth.REGISTRATION_COLUMNS)
    assert df["KSH"].is_unique and df["SFZH"].is_unique
    assert df["KSH"].str.fullmatch(r"26\d{12}").all()
    assert (df["KSH"].str.slice(2, 8) == df["SFZH"].str.slice(0, 6)).all()
    assert checksum_ok(df["SFZH"]).all()
    assert set(df["XB"]) == {"男", "女"} and set(df["CC"]) == {"本科", "专科"}
    lay = load_layout("chsi_registration")
    for f in lay.fields:
        assert df[f.code].str.encode("gbk").str.len().max() <= f.width, f.code


def test_registration_pair_counts():
    n = 20_000
    adm, reg = synth.make_registration_pair(n, seed=4, diff_rate=0.03)
    p = reg.attrs["planted"]
    assert len(adm) == n
    assert len(reg) == n - p["not_registered"] + p["not_admitted"] + p["duplicate_key"]
    assert 0.025 * n <= sum(p.values()) <= 0.035 * n
    assert (reg["KSH"] == "").sum() == p["missing_key"]
    dup = reg.loc[reg["KSH"] != "", "KSH"].duplicated().sum()
    assert dup == p["duplicate_key"]
    m = adm.merge(
        reg[reg["KSH"] != ""].drop_duplicates("KSH"), on="KSH", how="outer", indicator=True, suffixes=("_a", "_r")
    )
    assert (m["_merge"] == "right_only").sum() == p["not_admitted"] + p["ksh_swap"]
    both = m[m["_merge"] == "both"]
    assert (both["XM_a"] != both["XM_r"]).sum() == p["name_typo"] + p["name_placeholder"]
    assert (both["CC_a"] != both["CC_r"]).sum() == p["key_field"]
    assert adm["XM"].str.endswith("??").sum() == p["name_placeholder"]


def test_registration_dbf_chunked_is_identical(tmp_path):
    a = synth.write_registration_dbf(3000, tmp_path / "a.dbf", seed=5)
    b = synth.write_registration_dbf(3000, tmp_path / "b.dbf", seed=5, chunk=700)
    assert a.read_bytes() == b.read_bytes()
    table = DBF(str(a), encoding="gbk", load=True)
    assert len(table.records) + len(table.deleted) == 3000
    assert 0 < len(table.deleted) < 60
    assert a.read_bytes()[1:4] == bytes([126, 11, 23])  # fixed header date 2026-11-23


def test_roster_pair_counts():
    old, new, ch = synth.make_roster_pair(30_000, seed=6)
    p = old.attrs["planted"]
    assert len(old) == 30_000 and len(new) == 30_000 - p["removed"] + p["added"]
    assert old["XJH"].is_unique and new["XJH"].is_unique
    gone = set(old["XJH"]) - set(new["XJH"])
    assert len(gone) == p["removed"]
    assert len(ch) == p["removed_explained"] + p["added_explained"]
    assert set(ch.loc[ch["YDLB"] == "转出", "XJH"]) <= gone


# -- the committed samples ---------------------------------------------------------------------------


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_deterministic(fresh, tmp_path):
    again = synth.write_samples(tmp_path / "again")
    assert _tree(fresh) == _tree(again)
    for rel in _tree(fresh):
        assert (fresh / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_committed_samples_equal_generator(fresh):
    assert COMMITTED.is_dir(), "data_samples/ 不存在：运行 xueji samples --out data_samples"
    committed = [p for p in _tree(COMMITTED) if not p.startswith(".")]
    assert committed == _tree(fresh), (
        "data_samples/ 的文件清单与生成器不一致：重新运行 xueji samples --out data_samples"
    )
    for rel in committed:
        assert filecmp.cmp(COMMITTED / rel, fresh / rel, shallow=False), (
            f"{rel} 与生成器输出不同：重新运行 xueji samples --out data_samples"
        )


def test_sample_size_and_counts(fresh, files):
    frames, _ = files
    total = sum(p.stat().st_size for p in fresh.rglob("*") if p.is_file())
    assert total < 3_100_000
    assert len(frames[synth.FILE_ADMISSION_10]) == 1000 and len(frames[synth.FILE_ADMISSION_50]) == 400
    assert 1300 <= len(frames[synth.FILE_ROSTER_OLD]) <= 1700 and 1300 <= len(frames[synth.FILE_ROSTER_NEW]) <= 1700
    photos = [p for p in (fresh / synth.PHOTO_DIR).rglob("*") if p.is_file()]  # in class folders
    assert 50 <= len(photos) <= 80
    readme = (fresh / "README.md").read_text(encoding="utf-8")
    detail = readme.split("### 明细", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in detail.splitlines() if line.startswith("| `")]
    planted = pd.read_csv(fresh / "planted.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert len(rows) == len(planted) > 100


def test_dbf_headers(fresh):
    for f in (
        synth.FILE_ADMISSION_10,
        synth.FILE_REGISTRATION_10,
        synth.FILE_STATES_10,
        synth.FILE_ADMISSION_50,
        synth.FILE_REGISTRATION_50,
    ):
        head = (fresh / f).read_bytes()[:32]
        assert head[0] == 0x03 and head[29] == 0x4D and head[1:4] == bytes([126, 11, 23])


def test_planted_rows_exist_with_their_key(files, planted):
    frames, _ = files
    for r in planted.itertuples():
        if r.row == "":
            assert r.file.startswith(synth.PHOTO_DIR + "/") or r.file == HEI_LATE or r.expected.startswith("read:"), r
            continue
        df = frames[r.file]
        i = int(r.row) - 1
        assert 0 <= i < len(df), r
        key = "KSH" if r.file.startswith("hei/") else "XJH"
        assert df.at[i, key] == r.key, r
        assert r.field in df.columns or r.field == "照片", r


REQUIRED_CODES = {
    # every kind of problem the validation / reconciliation / comparison issues must find
    "id_bad_check_digit",
    "id_birth_mismatch",
    "id_sex_mismatch",
    "id_invalid_birth_date",
    "id_unknown_area",
    "id_lowercase_x",
    "id_fullwidth",
    "id_inner_space",
    "id_trailing_space",
    "id_15_digit",
    "id_hmt_residence_permit",
    "duplicate_ksh",
    "duplicate_sfzh",
    "name_typo",
    "name_placeholder",
    "ksh_adjacent_swap",
    "cc_mismatch",
    "xxxs_mismatch",
    "not_admitted",
    "not_registered",
    "already_registered",
    "state_abandoned",
    "missing_ksh",
    "special_ksh",
    "name_latin_letter",
    "name_digit",
    "required_empty",
    "mz_invalid",
    "mz_old_name",
    "xjh_g_mismatch",
    "xjh_j_bad_check",
    "duplicate_enrolment",
    "dup_name_sex_birth",
    "under_age_grade1",
    "id_type_mismatch",
    "dropout_unexplained",
    "removed_explained",
    "added_explained",
    "class_change",
    "school_change",
    "field_changed",
    "excel_damaged_id",
    "graduate_not_enrolled",
    "photo_missing",
    "photo_unmatched",
    "photo_duplicate",
    "photo_png_renamed",
    "photo_too_small",
    "photo_empty",
    "photo_wrong_class",
    "photo_background",
    # issue 16, higher education
    "struct_missing_optional",
    "struct_field_narrow",
    "struct_field_overflow",
    "struct_extra_field",
    "xh_fullwidth",
    "bh_lowercase",
    "hei_suspended",
    "hei_withdrawn",
    "hei_kept",
    "hei_unexplained",
    "hei_major_change",
    "hei_name_change",
    "hei_returned",
}


def test_every_required_problem_is_planted(planted):
    assert REQUIRED_CODES <= set(planted["problem_code"])
    states = set(planted.loc[planted["problem_code"] == "not_registered", "expected"])
    assert {
        "reconcile:not_registered/保留入学资格",
        "reconcile:not_registered/放弃入学资格",
        "reconcile:not_registered/取消入学资格",
        "reconcile:not_registered/none",
    } <= states
    assert (planted["problem_code"] == "dropout_unexplained").sum() >= 3
    explained = set(planted.loc[planted["problem_code"] == "removed_explained", "expected"])
    assert {
        "compare:removed_explained/转出",
        "compare:removed_explained/退学",
        "compare:removed_explained/死亡",
    } <= explained


GRAD_FIX_FIELDS = {"grad_name_fix": "XM", "grad_birth_fix": "CSRQ", "grad_phone_fix": "LXDH"}


def _counterpart(frames, file, i, other):
    """Row of ``other`` holding the same person as row i of ``file`` (by normalised ID number)."""
    sf = frames[file].at[i, "SFZH"].upper()
    hit = frames[other].index[frames[other]["SFZH"].str.upper() == sf].tolist()
    assert len(hit) == 1, (file, i)
    return hit[0]


def test_planted_defects_rederived(files, planted, fresh):  # noqa: C901 - one branch per problem kind
    frames, types = files
    A, R, S = synth.FILE_ADMISSION_10, synth.FILE_REGISTRATION_10, synth.FILE_STATES_10
    for r in planted.itertuples():
        code, f = r.problem_code, r.file
        if r.row == "":
            continue
        df, i = frames[f], int(r.row) - 1
        row = df.loc[i]
        if code == "id_bad_check_digit":
            v = row["SFZH"] if f.startswith("hei/") else row["SFZJH"]
            if r.field in ("SFZH", "SFZJH"):
                assert re.fullmatch(r"\d{17}[\dX]", v) and check_char(v[:17]) != v[17]
        elif code == "id_birth_mismatch":
            assert id_valid(row["SFZH"]) and row["SFZH"][6:14] != row["CSRQ"]
        elif code == "id_sex_mismatch":
            assert id_valid(row["SFZH"]) and (int(row["SFZH"][16]) % 2 == 1) != (row["XB"] == "男")
        elif code == "id_invalid_birth_date":
            assert check_char(row["SFZH"][:17]) == row["SFZH"][17] and not real_date(row["SFZH"][6:14])
        elif code == "id_unknown_area":
            assert id_valid(row["SFZH"]) and row["SFZH"][:2] not in PROVINCES
        elif code == "id_lowercase_x":
            v = row["SFZH"] if f.startswith("hei/") else row["SFZJH"]
            assert v.endswith("x") and id_valid(v.upper())
        elif code == "id_hmt_residence_permit":
            assert id_valid(row["SFZH"]) and row["SFZH"][:6] in ("810000", "820000", "830000")
        elif code == "hmt_document":
            assert row["SFZJLX"] in ("6", "8") and row["XJH"].startswith("J") and id_valid(row["XJH"][1:])
        elif code == "duplicate_ksh":
            reg = frames[R]
            assert (reg["KSH"] == row["KSH"]).sum() == 2 and (reg["SFZH"] == row["SFZH"]).sum() == 2
            assert (frames[A]["KSH"] == row["KSH"]).sum() == 1
        elif code == "duplicate_sfzh":
            assert (df["SFZH"] == row["SFZH"]).sum() == 2 and (df["KSH"] == row["KSH"]).sum() == 1
        elif code in (
            "name_typo",
            "name_placeholder",
            "ksh_adjacent_swap",
            "cc_mismatch",
            "xxxs_mismatch",
            "missing_ksh",
            "name_latin_letter",
        ) and r.expected.startswith("reconcile:"):
            a_file, r_file = (A, R) if "10_" in f else (synth.FILE_ADMISSION_50, synth.FILE_REGISTRATION_50)
            if f == a_file:
                ia, ir = i, _counterpart(frames, a_file, i, r_file)
            else:
                ir, ia = i, _counterpart(frames, r_file, i, a_file)
            a, g = frames[a_file].loc[ia], frames[r_file].loc[ir]
            if code == "name_typo":
                assert len(a["XM"]) == len(g["XM"]) and sum(x != y for x, y in zip(a["XM"], g["XM"])) == 1
                assert a["KSH"] == g["KSH"]
            elif code == "name_placeholder":
                assert "??" in a["XM"] and synth.RARE_OUTSIDE_GBK in g["XM"]
                assert a["XM"].replace("??", synth.RARE_OUTSIDE_GBK) == g["XM"]
            elif code == "ksh_adjacent_swap":
                assert adjacent_swap(a["KSH"], g["KSH"]) and g["KSH"] not in set(frames[a_file]["KSH"])
            elif code == "cc_mismatch":
                assert (a["CC"], g["CC"]) == ("专科", "本科") and a["KSH"] == g["KSH"]
            elif code == "xxxs_mismatch":
                assert (a["XXXS"], g["XXXS"]) == ("函授", "业余") and a["KSH"] == g["KSH"]
            elif code == "missing_ksh":
                assert g["KSH"] == "" and a["KSH"] != ""
            elif code == "name_latin_letter":
                assert re.search(r"[A-Za-z]", g["XM"]) and a["XM"] != g["XM"]
        elif code == "name_placeholder":
            assert row["XM"].endswith("??")
        elif code == "name_latin_letter":
            assert re.search(r"[A-Za-z]", row["XM"])
        elif code == "missing_ksh":
            assert row["KSH"] == ""
        elif code == "not_admitted":
            adm = frames[A]
            assert row["SFZH"] not in set(adm["SFZH"])
            assert not ((adm["XM"] == row["XM"]) & (adm["CSRQ"] == row["CSRQ"])).any()
            assert not any(near(row["KSH"], k) for k in adm["KSH"])
        elif code in ("already_registered", "state_abandoned"):  # in the upload, and the platform holds a state
            st = frames[S]
            want = "报到入学" if code == "already_registered" else "放弃入学资格"
            assert f == R and st.loc[st["KSH"] == row["KSH"], "ZT"].tolist() == [want]
        elif code == "not_registered":
            reg = frames[R] if "10_" in f else frames[synth.FILE_REGISTRATION_50]
            assert row["KSH"] not in set(reg["KSH"]) and row["SFZH"] not in set(reg["SFZH"])
            state = r.expected.split("/", 1)[1] if "/" in r.expected else None
            if state:
                st = frames[S]
                got = st.loc[st["KSH"] == row["KSH"], "ZT"].tolist()
                assert got == ([] if state == "none" else [state])
        elif code == "required_empty":
            assert row[r.field] == ""
        elif code == "mz_invalid":
            assert load_code_table("mz").lookup(row["MZ"]) is None
        elif code == "mz_old_name":
            assert row["MZ"] == "毛难族"
        elif code == "xz_invalid":
            assert load_code_table("xz").lookup(row["XZ"]) is None
        elif code == "date_invalid":
            assert not real_date(row[r.field])
        elif code == "xxxs_category":
            assert row["XXXS"] == "函授" and f == R
        elif code == "special_ksh":
            assert len(row["KSH"]) == 18 and row["KSH"].startswith(synth.SCHOOL_CODE)
        elif code == "id_15_digit":
            v = row["SFZH"]
            assert re.fullmatch(r"\d{15}", v)
            a = frames[synth.FILE_ADMISSION_50]
            assert (a.loc[a["KSH"] == row["KSH"], "SFZH"] == to18(pd.Series([v])).iloc[0]).all()
        elif code == "xjh_g_mismatch":
            assert row["XJH"].startswith("G") and id_valid(row["SFZJH"]) and row["XJH"][1:] != row["SFZJH"]
        elif code == "xjh_j_bad_check":
            assert row["XJH"].startswith("J") and row["SFZJH"] == "" and not id_valid(row["XJH"][1:])
        elif code == "dup_name_sex_birth":
            no_id = df[df["SFZJH"] == ""]
            same = no_id[(no_id["XM"] == row["XM"]) & (no_id["XB"] == row["XB"]) & (no_id["CSRQ"] == row["CSRQ"])]
            assert len(same) == 2 and same["XXBSM"].nunique() == 2
        elif code == "under_age_grade1":
            assert row["NJ"] == "11" and row["CSRQ"] > "20190831" and id_valid(row["SFZJH"])
        elif code == "id_type_mismatch":
            assert row["SFZJLX"] == "1" and not re.fullmatch(r"\d{17}[\dXx]|\d{15}", row["SFZJH"])
        elif code == "id_fullwidth":
            v = row["SFZJH"]
            assert re.search("[０-９]", v) and id_valid(v.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF3B)}))
        elif code in ("id_inner_space", "id_trailing_space"):
            v = row["SFZJH"]
            assert " " in (v.strip() if code == "id_inner_space" else v[-1]) and id_valid(v.replace(" ", ""))
        elif code == "name_inner_space":
            assert " " in row["XM"].strip()
        elif code == "name_digit":
            assert re.search(r"\d", row["XM"])
        elif code in ("dropout_unexplained", "removed_explained"):
            assert f == synth.FILE_ROSTER_OLD and row["XJH"] not in set(frames[synth.FILE_ROSTER_NEW]["XJH"])
            ch = frames[synth.FILE_CHANGES]
            kinds = ch.loc[ch["XJH"] == row["XJH"], "YDLB"].tolist()
            assert kinds == ([] if code == "dropout_unexplained" else [r.expected.split("/")[1]])
        elif code in ("added_explained", "added_unexplained"):
            assert row["XJH"] not in set(frames[synth.FILE_ROSTER_OLD]["XJH"])
            ch = frames[synth.FILE_CHANGES]
            kinds = ch.loc[ch["XJH"] == row["XJH"], "YDLB"].tolist()
            assert kinds == ([] if code == "added_unexplained" else [r.expected.split("/")[1]])
        elif code in ("class_change", "school_change", "field_changed"):
            old = frames[synth.FILE_ROSTER_OLD]
            o = old[old["XJH"] == row["XJH"]]
            assert len(o) == 1
            o = o.iloc[0]
            diff = [c for c in old.columns if o[c] != row[c]]
            if code == "class_change":
                assert diff == ["BJ"]
            elif code == "school_change":
                assert {"XXBSM", "XXMC"} <= set(diff) <= {"XXBSM", "XXMC", "BJ"}
                ch = frames[synth.FILE_CHANGES]
                assert sorted(ch.loc[ch["XJH"] == row["XJH"], "YDLB"]) == ["转入", "转出"]
            else:
                assert diff == [r.field]
        elif code == "excel_damaged_id":
            if f == synth.FILE_ROSTER_CSV:
                assert re.fullmatch(r"\d\.\d{5}E\+17", row["SFZJH"])
            else:
                assert types[f].get((i + 1, "SFZJH")) in (int, float)
                assert float(row["SFZJH"]) == float(row["XJH"][1:16] + "000")  # 15 significant digits kept
        elif code == "duplicate_enrolment":
            same = df[df["XJH"] == row["XJH"]]
            assert len(same) == 2 and same["XXBSM"].nunique() == 2
        elif code == "graduate_not_enrolled":
            assert row["XJH"] not in set(frames[synth.FILE_INTAKE]["XJH"])
        elif code == "photo_missing":
            assert not list((fresh / synth.PHOTO_DIR).rglob(f"{row['SFZH']}.*"))
        elif code == "xh_fullwidth":  # full-width digits, more bytes than the standard C15
            assert re.fullmatch("[０-９]+", row["XH"]) and len(row["XH"].encode("gbk")) > 15
            half = row["XH"].translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})
            assert half not in set(df["XH"]) and re.fullmatch(r"\d{12}", half)
        elif code == "bh_lowercase":
            assert re.search("[a-z]", row["BH"]) and row["BH"] != row["BH"].upper()
        elif code.startswith("hei_"):
            _rederive_hei_term(frames, f, row, code, r.expected)
        elif code in GRAD_FIX_FIELDS:  # issue 16 §9: a graduate's field changed in the corrected list
            g = frames[synth.FILE_GRADUATES]
            o = g[g["XJH"] == row["XJH"]]
            assert f == FILE_GRADUATES_FIX and len(o) == 1
            assert [c for c in g.columns if o.iloc[0][c] != row[c]] == [GRAD_FIX_FIELDS[code]]
        elif code in K12_CHECK_CODES:  # issue 16, K-12: the 学籍核查 workbooks
            _rederive_k12_check(frames, planted, r, df, row)
        else:
            raise AssertionError(f"planted.csv 中有测试不认识的问题代码 {code}")


def _rederive_hei_term(frames, f, row, code, expected):
    """A planted change between the university's two rosters, read back from the workbooks."""
    old, new, ch = frames[HEI_OLD], frames[HEI_NEW], frames[HEI_CH]
    kinds = ch.loc[ch["XH"] == row["XH"], "YDLB"].tolist()
    if code in ("hei_suspended", "hei_withdrawn", "hei_kept", "hei_unexplained"):
        assert f == HEI_OLD and row["XH"] not in set(new["XH"]) and row["SFZH"] not in set(new["SFZH"])
        assert kinds == ([] if code == "hei_unexplained" else [expected.split("/")[1]])
    elif code == "hei_returned":
        assert f == HEI_NEW and row["XH"] not in set(old["XH"]) and row["XH"].startswith("2025")
        assert kinds == ["复学"]
    else:
        o = old[old["XH"] == row["XH"]]
        assert f == HEI_NEW and len(o) == 1
        diff = [c for c in old.columns if o.iloc[0][c] != row[c]]
        if code == "hei_major_change":
            assert diff == ["ZYDM", "ZYMC", "BH"] and row["ZYMC"] == "软件工程" and kinds == ["转专业"]
        else:
            assert diff == ["XM"] and kinds == []


def test_file_level_problems_in_the_dbf_structure(fresh, planted):
    """The 补报 file's structure problems, read from its DBF header with dbfread."""
    fields = {fd.name: fd for fd in DBF(str(fresh / HEI_LATE), encoding="gbk").fields}
    std = load_layout("chsi_registration")
    rows = planted[(planted["file"] == HEI_LATE) & (planted["row"] == "")]
    assert len(rows) == 6
    for r in rows.itertuples():
        if r.problem_code == "struct_missing_optional":
            assert r.field not in fields and not std.field(r.field).required
        elif r.problem_code == "struct_field_narrow":
            assert fields[r.field].length < std.field(r.field).width
        elif r.problem_code == "struct_field_overflow":
            assert fields[r.field].length > std.field(r.field).width
        elif r.problem_code == "struct_extra_field":
            assert r.field in fields and r.field not in std.codes
        else:
            raise AssertionError(r)
    # nothing else differs from the standard structure
    missing = {f.code for f in std.fields} - set(fields)
    assert missing == set(rows.loc[rows["problem_code"] == "struct_missing_optional", "field"])
    odd = {n for n, fd in fields.items() if n in std.codes and fd.length != std.field(n).width}
    assert odd == {"KSH", "XH"}


K12_CHECK_CODES = {
    "hmt_11113", "temp_999", "hmt_permit_as_id", "no_id_number", "ident_fullwidth", "ident_lowercase",
    "postcode_short", "phone_mobile_10", "phone_no_area_code", "address_no_province", "school_name_mismatch",
    "school_id_length", "near_dup_one_digit", "near_dup_swap", "near_dup_one_missing", "near_dup_same_id",
    "near_dup_across_schools", "left_school",
}  # fmt: skip


def _rederive_k12_check(frames, planted, r, df, row):  # noqa: C901 - one branch per problem kind
    """Issue 16's K-12 problems, re-derived from the file bytes (both sheets of a 核查 workbook, in order)."""
    code = r.problem_code
    if code == "hmt_11113":  # 004: 港澳台身份证一律用“11113”+学号替代
        assert row["SFZJH"] == "11113" + row["XJFH"] and re.fullmatch(r"\d{8}", row["XJFH"])
        assert (row["GATQW"], row["GJ"], row["JG"]) == ("01", "HKG", "香港") and row["XJH"].startswith("J")
    elif code == "temp_999":
        v = row["SFZJH"]
        assert re.fullmatch(r"999\d{15}", v) and v[3:13] == row["XXBSM"] and not id_valid(v)
    elif code == "hmt_permit_as_id":
        assert row["SFZJLX"] == "1" and re.fullmatch(r"[HM]\d{8}", row["SFZJH"]) and row["GATQW"] in ("01", "03")
    elif code == "no_id_number":
        assert (row["SFZJLX"], row["SFZJH"]) == ("1", "") and row["XJH"][0] == "J" and id_valid(row["XJH"][1:])
    elif code == "ident_fullwidth":
        assert re.search("[０-９Ａ-Ｚａ-ｚ]", row[r.field]) and load_layout("k12_student").field(r.field).ident
    elif code == "ident_lowercase":
        assert re.search("[a-z]", row[r.field]) and load_layout("k12_student").field(r.field).ident
    elif code == "postcode_short":
        assert re.fullmatch(r"\d{5}", row["YZBM"])
    elif code == "phone_mobile_10":
        assert re.fullmatch(r"1\d{9}", row["LXDH"])
    elif code == "phone_no_area_code":
        assert re.fullmatch(r"[2-9]\d{6,7}", row["LXDH"])
    elif code == "address_no_province":
        assert not re.search("省|自治区|市|县|区", row["JTDZ"])
    elif code == "school_name_mismatch":
        assert row["XXMC"] != df.loc[df["XXBSM"] == row["XXBSM"], "XXMC"].mode().iloc[0]
    elif code == "school_id_length":
        assert re.fullmatch(r"\d+", row["XXBSM"]) and len(row["XXBSM"]) != 10
        assert row["XXBSM"] != df.loc[df["XXMC"] == row["XXMC"], "XXBSM"].mode().iloc[0]
    elif code.startswith("near_dup_"):  # the pair: the two records planted with this code
        both = planted.loc[planted["problem_code"] == code, ["file", "row"]].drop_duplicates()
        assert len(both) == 2
        a, b = (frames[f].loc[int(x) - 1] for f, x in both.itertuples(index=False))
        ia, ib = a["SFZJH"], b["SFZJH"]
        if code == "near_dup_same_id":
            assert ia == ib and id_valid(ia) and a["XM"] != b["XM"] and a["XM"][:-1] == b["XM"][:-1]
        else:
            assert (a["XM"], a["XB"], a["CSRQ"]) == (b["XM"], b["XB"], b["CSRQ"])
            if code == "near_dup_one_missing":
                assert sorted([ia == "", ib == ""]) == [False, True] and id_valid(ia or ib)
            else:  # one copy right by its check digit, the other one digit off / two adjacent digits swapped
                assert sorted([id_valid(ia), id_valid(ib)]) == [False, True]
                assert adjacent_swap(ia, ib) if code == "near_dup_swap" else sum(x != y for x, y in zip(ia, ib)) == 1
            if code == "near_dup_across_schools":
                assert both["file"].nunique() == 2 and a["XXBSM"] != b["XXBSM"]
    elif code == "left_school":  # the 离校 sheet (004: 休学、对外交流; 借读)
        assert row["备注"] in ("休学", "对外交流", "借读") and row["BNXH"] == ""
        assert (df.loc[int(r.row) - 1 :, "备注"] != "").all()  # after every 在校 pupil


def test_photo_problems(fresh, files, planted):
    frames, _ = files
    reg = frames[synth.FILE_REGISTRATION_10]
    roster = reg[reg["BH"].isin(synth.PHOTO_CLASSES)]
    folder = fresh / synth.PHOTO_DIR
    listed = {r.file: r for r in planted.itertuples() if r.file.startswith(synth.PHOTO_DIR + "/")}
    class_of = dict(zip(roster["SFZH"], roster["BH"]))
    # every photo lies in a class folder named as 004 asks (“xx级xxx班”), nothing in the folder itself
    assert sorted(p.name for p in folder.iterdir()) == [f"2026级{c}班" for c in synth.PHOTO_CLASSES]
    for p in sorted(x for x in folder.rglob("*") if x.is_file()):
        r = listed.get(str(p.relative_to(fresh)))
        stem = p.stem.replace(" - 副本", "")
        if r is not None and r.problem_code == "photo_unmatched":
            assert id_valid(stem) and stem not in set(frames[synth.FILE_ADMISSION_10]["SFZH"]) | set(reg["SFZH"])
            continue
        assert stem in set(roster["SFZH"]), p.name
        code = r.problem_code if r is not None else "ok"
        in_own = p.parent.name == f"2026级{class_of[stem]}班"
        assert in_own == (code != "photo_wrong_class"), p  # only the planted one is filed under the other class
        data = p.read_bytes()
        if code == "photo_png_renamed":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            continue
        if code == "photo_empty":
            assert data == b""
            continue
        assert data[:3] == b"\xff\xd8\xff", p.name
        if code == "photo_truncated":
            with pytest.raises(OSError):
                Image.open(p).load()
            continue
        im = Image.open(p)
        im.load()
        assert im.format == "JPEG"
        if code == "photo_too_small":
            assert im.size == (120, 147)
        else:
            assert im.size == synth.PHOTO_SIZE and len(data) < 20_000, p.name
            corner = im.convert("RGB").getpixel((2, 2))
            if code == "photo_background":  # white, not the blue of the others
                assert min(corner) > 200, corner
            else:
                assert corner[2] > 180 and corner[0] < 100, (p.name, corner)
            if code == "photo_upper_ext":
                assert p.suffix == ".JPG"
            elif code == "photo_duplicate":
                assert (p.parent / f"{stem}.jpg").exists()
            else:
                assert p.suffix == ".jpg"
    missing = planted[planted["problem_code"] == "photo_missing"]
    have = {p.stem.replace(" - 副本", "") for p in folder.rglob("*") if p.is_file()}
    assert set(roster["SFZH"]) - have == {reg.at[int(x) - 1, "SFZH"] for x in missing["row"]}


# -- clean records are clean -------------------------------------------------------------------------


def _clean(frames, planted, f):
    rows = {int(x) - 1 for x in planted.loc[(planted["file"] == f) & (planted["row"] != ""), "row"]}
    df = frames[f]
    return df[~df.index.isin(rows)]


def _check_person(df, id_col, sex_col, male="男"):
    assert df[id_col].map(id_valid).all()
    assert (df[id_col].str.slice(6, 14) == df["CSRQ"]).all()
    assert ((df[id_col].str.slice(16, 17).astype(int) % 2 == 1) == (df[sex_col].isin([male, "1"]))).all()
    assert df[id_col].str.slice(0, 2).isin(PROVINCES).all()
    assert not df["XM"].str.contains(r"[0-9A-Za-z?\s]").any()
    assert df["CSRQ"].map(real_date).all()


def test_clean_higher_education_records(files, planted):
    frames, _ = files
    mz = load_code_table("mz")
    for a_file, r_file, cat in (
        (synth.FILE_ADMISSION_10, synth.FILE_REGISTRATION_10, "10"),
        (synth.FILE_ADMISSION_50, synth.FILE_REGISTRATION_50, "50"),
    ):
        adm, reg = _clean(frames, planted, a_file), _clean(frames, planted, r_file)
        _check_person(adm, "SFZH", "XBDM", male="1")
        _check_person(reg, "SFZH", "XB")
        for df in (adm, reg):
            assert df["KSH"].is_unique and df["SFZH"].is_unique
            assert df["KSH"].str.fullmatch(r"26\d{12}").all()
            assert df["KSH"].str.slice(2, 4).isin(PROVINCES).all()
        assert reg["MZ"].map(lambda v: mz.match(v)[1]).eq("label").all()
        assert adm["MZDM"].map(lambda v: mz.match(v)[1]).eq("code").all()
        assert reg["RXRQ"].map(real_date).all() and reg["YJBYRQ"].map(real_date).all()
        assert set(reg["XXXS"]) == ({"普通全日制"} if cat == "10" else {"函授", "业余", "脱产"})
        # every clean admission record has a registration record (matched), and clean pairs agree
        assert set(adm["KSH"]) <= set(frames[r_file]["KSH"])
        assert set(reg["KSH"]) <= set(frames[a_file]["KSH"])
        m = adm.merge(reg, on="KSH", suffixes=("_a", "_r"))
        assert len(m) >= len(adm) - 30
        assert (m["XM_a"] == m["XM_r"]).all() and (m["CC_a"] == m["CC_r"]).all()
        assert (m["XXXS_a"] == m["XXXS_r"]).all() and (m["SFZH_a"] == m["SFZH_r"]).all()
        assert (m["CSRQ_a"] == m["CSRQ_r"]).all()
        assert (m["XBDM"].map({"1": "男", "2": "女"}) == m["XB"]).all()
        # ages at entry (1 September 2026): 17–20 for normal 本科/专科 entrants, 18–45 for adults
        age = 2026 - adm["CSRQ"].str.slice(0, 4).astype(int) - (adm["CSRQ"].str.slice(4) > "0901")
        lo, hi = (17, 22) if cat == "10" else (18, 45)
        assert age.between(lo, hi).all()
    # names never collide by accident: all people of the university are distinct
    everyone = pd.concat([frames[synth.FILE_ADMISSION_10], frames[synth.FILE_ADMISSION_50]])
    assert everyone["XM"].is_unique and everyone["SFZH"].is_unique


def test_clean_k12_records(files, planted):
    frames, _ = files
    labels = {"男": "1", "女": "2"}
    for f in (
        synth.FILE_ROSTER_OLD,
        synth.FILE_ROSTER_NEW,
        synth.FILE_GRADUATES,
        synth.FILE_INTAKE,
        synth.FILE_ROSTER_CSV,
    ):
        df = _clean(frames, planted, f)
        with_id = df[df["SFZJLX"] == "1"].copy()
        with_id["XB"] = with_id["XB"].replace(labels)
        _check_person(with_id, "SFZJH", "XB", male="1")
        g = df["XJH"].str.startswith("G")
        assert (df.loc[g, "XJH"].str.slice(1) == df.loc[g, "SFZJH"]).all()
        j = df["XJH"].str.startswith("J")
        assert df.loc[j, "XJH"].str.slice(1).map(id_valid).all()
        assert df["XJH"].str.fullmatch(r"[GLJ]\d{17}[\dX]").all()
        assert df["XJH"].is_unique
        assert df.loc[df["SFZJH"] != "", "SFZJH"].is_unique
        no_id = df[df["SFZJH"] == ""]
        assert not no_id.duplicated(["XM", "XB", "CSRQ"]).any()
        assert (df.loc[df["SFZJH"] == "", "SFZJLX"] == "Z").all()
        first = df[df["NJ"] == "11"]
        assert (first["CSRQ"] <= "20190831").all()  # 6 by 31 August 2025
        for col in load_layout("k12_student").required:
            assert (df[col] != "").all(), (f, col)


def test_clean_k12_compare(files, planted):
    frames, _ = files
    old, new = _clean(frames, planted, synth.FILE_ROSTER_OLD), _clean(frames, planted, synth.FILE_ROSTER_NEW)
    assert set(old["XJH"]) <= set(frames[synth.FILE_ROSTER_NEW]["XJH"])  # every clean old pupil is still there …
    m = old.merge(new, on="XJH", suffixes=("_o", "_n"))
    assert len(m) >= len(old) - 10
    for c in old.columns:
        if c != "XJH":
            assert (m[f"{c}_o"] == m[f"{c}_n"]).all(), c  # … unchanged
    grads = _clean(frames, planted, synth.FILE_GRADUATES)
    assert set(grads["XJH"]) <= set(frames[synth.FILE_INTAKE]["XJH"])
    assert set(frames[synth.FILE_GRADUATES]["NJ"]) == {"16", "23"}
    assert set(frames[synth.FILE_INTAKE]["NJ"]) == {"21", "31"}


def test_every_validate_code_has_a_legend(planted):
    used = {e for e in planted["expected"] if e.startswith("validate:")}
    assert used <= set(synth.EXPECTED_NOTES)
