"""The higher-education samples: a fictional university's 学历类别 10 admission list, registration upload and
new-student states, and its 学历类别 50 admission list and registration upload — with every problem the
validation and reconciliation must find planted in them (``make_hei``).

    >>> hei = make_hei()                                                  # doctest: +SKIP
    >>> {f: len(df) for f, df in hei.files.items()}["hei/10_录取名单.dbf"]   # doctest: +SKIP
    1000

``make_hei`` is a list of named steps: draw the people and their records, then plant each kind of problem
(ID numbers, duplicates, misspelt names, key mismatches, not admitted, not registered, other content rules,
the school-made 考生号, category 50), then order the files. The steps draw from one seeded generator and take
their victims from one ``_Victims``, in the order ``make_hei`` calls them: reordering the steps changes the
files (and tests/test_synth.py fails against the committed samples).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..core.ids import CHECK_TEXT
from .arrays import _choice, _days
from .hei_records import _admission_view, _age_window, _ages, _hei_records, _registration_view
from .people import _fix_check, make_people
from .planted import RowOf, _Planted, _Victims
from .vocabulary import (
    HMT_AREAS,
    MAJORS_10,
    MAJORS_50,
    MZ_P_HEI,
    RARE_OUTSIDE_GBK,
    SAMPLE_SEED,
    SURNAMES,
    TYPO,
    YEAR,
)


@dataclass
class HeiSample:
    """The higher-education sample files (frames in layout field codes, index = record id), the encodings
    they are written in, the planted problems, and the roster of the classes that have photos."""

    files: dict[str, pd.DataFrame]
    layouts: dict[str, str]
    encodings: dict[str, str]
    planted: _Planted = field(repr=False)
    photo_roster: pd.DataFrame = field(repr=False)
    keys: dict[str, str] = field(default_factory=dict)


# the sample files (paths under the output folder)
FILE_ADMISSION_10 = "hei/10_录取名单.dbf"  # 学历类别 10: 录取数据, 注册上报, 新生状态
FILE_REGISTRATION_10 = "hei/10_注册上报.dbf"
FILE_STATES_10 = "hei/10_新生状态.dbf"
FILE_ADMISSION_50 = "hei/50_录取名单.dbf"  # 学历类别 50 (成人本专科)
FILE_REGISTRATION_50 = "hei/50_注册上报.dbf"
PHOTO_CLASSES = ("软件2601", "软件2602")


def _near_ksh(a: str, b: str) -> bool:
    """True when two 考生号 are one substitution or one adjacent transposition apart (or equal)."""
    if len(a) != len(b):
        return False
    diff = [i for i in range(len(a)) if a[i] != b[i]]
    if len(diff) <= 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def make_hei(seed: int = SAMPLE_SEED, n_students: int = 1000, n_adult: int = 400, year: int = YEAR) -> HeiSample:
    """The university's sample files for 学历类别 10 (``n_students`` admission records) and 50
    (``n_adult``), with every planted problem of the validation and reconciliation issues."""
    rng = np.random.default_rng([seed, 10])
    n10, n50 = n_students, n_adult
    kind10, major10, major50, major_extra = _hei_kinds_and_majors(rng, n10, n50)
    lo, hi = _hei_birth_windows(rng, kind10, n50, year)
    preset, pre, old_adult = _hei_presets(rng, kind10, n50)
    people = make_people(
        n10 + 1 + n50,  # + 1 registration-only person (not admitted)
        rng=rng,
        birth_lo=lo,
        birth_hi=hi,
        mz_p=MZ_P_HEI,
        rare_rate=0.012,
        unique_names=True,
        preset=preset,
    )
    rec10, rec50, rec_x = _hei_record_sets(rng, people, kind10, major10, major50, major_extra, year)

    adm10 = _admission_view(rec10)
    reg10 = _registration_view(rec10)
    adm50 = _admission_view(rec50)
    reg50 = _registration_view(rec50)
    plant = _Planted()

    photo_rids = rec10.index[rec10["BH"].isin(PHOTO_CLASSES)].tolist()
    special_rids = rec10.index[rec10["KIND"] != "normal"].tolist()
    hmt_rids, maonan_rid = [int(x) for x in pre[:3]], int(pre[3])
    vic = _Victims(rng, rec10.index[(rec10["KIND"] == "normal")].to_numpy())
    vic.exclude(photo_rids + hmt_rids + [maonan_rid])

    _plant_id_problems(plant, vic, reg10, hmt_rids)
    copy = _plant_duplicate_upload(plant, vic, reg10)
    _plant_shared_id(plant, vic, reg10)
    _plant_misspelt_names(plant, vic, adm10, reg10, set(people["XM"]))
    _plant_key_mismatches(plant, vic, adm10, reg10, rec_x.at[900_000, "KSH"])
    extra = _plant_not_admitted(plant, rec_x)
    status_of = _plant_not_registered(plant, vic)
    _plant_content_problems(plant, vic, reg10, maonan_rid, year)
    _plant_special_ksh(plant, rec10, special_rids)
    registered_states = _plant_registered_states(plant, vic)  # last of vic's takes: earlier plants unchanged
    old_rid = old_adult + 100_000 - n10 - 1  # the adult born 1984, as a category-50 record id
    reg50 = _plant_category_50(rng, plant, rec50, reg50, old_rid)
    return _hei_sample(plant, adm10, reg10, copy, extra, status_of, adm50, reg50, photo_rids, registered_states)


# -- people and records ----------------------------------------------------------------------------------


def _hei_kinds_and_majors(
    rng: np.random.Generator, n10: int, n50: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(kind of each category-10 student: normal / zsb 专升本 / wnyg 五年一贯制, their majors, the category-50
    majors, the major of the registration-only person)."""
    kind10 = np.full(n10, "normal", dtype=object)
    special_pos = rng.choice(n10, 5, replace=False)
    kind10[special_pos[:3]] = "zsb"
    kind10[special_pos[3:]] = "wnyg"
    w10 = np.array([m[7] for m in MAJORS_10], float)
    major10 = _choice(rng, n10, w10)
    major10[kind10 == "zsb"] = rng.choice([0, 1, 6], int((kind10 == "zsb").sum()))
    major10[kind10 == "wnyg"] = rng.choice([9, 10], int((kind10 == "wnyg").sum()))
    w50 = np.array([m[7] for m in MAJORS_50], float)
    major50 = _choice(rng, n50, w50)
    major_extra = _choice(rng, 1, w10)
    return kind10, major10, major50, major_extra


def _hei_birth_windows(
    rng: np.random.Generator, kind10: np.ndarray, n50: int, year: int
) -> tuple[np.ndarray, np.ndarray]:
    """Birth-day windows from the ages at entry (1 September): category 10, the registration-only person,
    category 50."""
    n10 = len(kind10)
    n_all = n10 + 1 + n50
    age = np.empty(n_all, np.int64)
    age[:n10] = _ages(rng, n10, {17: 0.1, 18: 0.5, 19: 0.32, 20: 0.08})
    age[:n10][kind10 == "zsb"] = _ages(rng, 3, {20: 0.3, 21: 0.5, 22: 0.2})
    age[:n10][kind10 == "wnyg"] = _ages(rng, 2, {18: 0.6, 19: 0.4})
    age[n10] = 18
    age[n10 + 1 :] = np.minimum(18 + np.floor(rng.gamma(2.0, 4.5, n50)).astype(np.int64), 45)
    lo, hi = _age_window(age, year)
    return lo, hi


def _hei_presets(rng: np.random.Generator, kind10: np.ndarray, n50: int) -> tuple[dict, np.ndarray, int]:
    """``make_people`` presets: three 港澳台 residence-permit holders, one 毛南族 student (category 10); one
    adult born 1984. Also returns the four category-10 positions and the adult's position."""
    n10 = len(kind10)
    n_all = n10 + 1 + n50
    normal10 = np.flatnonzero(kind10 == "normal")
    pre = rng.choice(normal10, 4, replace=False)
    preset_area = np.full(n_all, -1, np.int64)
    preset_mz = np.full(n_all, "", dtype=object)
    preset_birth = np.full(n_all, -1, np.int64)
    preset_area[pre[:3]] = list(HMT_AREAS)
    preset_mz[pre[:3]] = "01"
    preset_mz[pre[3]] = "36"
    old_adult = n10 + 1 + int(rng.integers(0, n50))
    preset_birth[old_adult] = _days(1984, 5, 1) + int(rng.integers(0, 180))
    return {"area": preset_area, "mz": preset_mz, "birth": preset_birth}, pre, old_adult


def _hei_record_sets(
    rng: np.random.Generator,
    people: pd.DataFrame,
    kind10: np.ndarray,
    major10: np.ndarray,
    major50: np.ndarray,
    major_extra: np.ndarray,
    year: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The records of category 10 (ids 0…), category 50 (ids 100,000…) and the registration-only person
    (id 900,000), whose 考生号 is at least two edits from every admitted one."""
    n10 = len(kind10)
    n50 = len(people) - n10 - 1
    p10 = people.iloc[:n10].reset_index(drop=True)
    p_extra = people.iloc[n10 : n10 + 1].reset_index(drop=True)
    p50 = people.iloc[n10 + 1 :].reset_index(drop=True)
    # 港澳台 students sat the exam in the mainland: their 考生号 carries the exam area, not 810000 …
    ksh_area = p10["AREA"].to_numpy().copy()
    exam_area = {810000: 440106, 820000: 440304, 830000: 350203}
    for a, e in exam_area.items():
        ksh_area[ksh_area == a] = e
    rec10 = _hei_records(rng, p10, "10", major10, kind10.astype(str), year, ksh_area)
    rec50 = _hei_records(rng, p50, "50", major50, np.full(n50, "normal"), year)
    rec10.index = pd.RangeIndex(0, n10)
    rec50.index = pd.RangeIndex(100_000, 100_000 + n50)
    # the registration-only person gets a 考生号 far (≥ 2 edits) from every admitted 考生号
    rec_x = _hei_records(rng, p_extra, "10", major_extra, np.array(["normal"]), year)
    adm_ksh = rec10["KSH"].tolist()
    cand = rec_x.at[0, "KSH"]
    for _ in range(1000):
        if not any(_near_ksh(cand, k) for k in adm_ksh):
            break
        cand = cand[:8] + "18" + f"{int(rng.integers(0, 10000)):04d}"
    rec_x.at[0, "KSH"] = cand
    rec_x.index = pd.RangeIndex(900_000, 900_001)
    return rec10, rec50, rec_x


# -- planted problems, in the order their victims are drawn -----------------------------------------------


def _plant_id_problems(plant: _Planted, vic: _Victims, reg10: pd.DataFrame, hmt_rids: list[int]) -> None:
    """身份证号 problems of the registration upload, and the 港澳台 residence permits that must pass."""
    R = FILE_REGISTRATION_10
    v = vic.take()
    good = reg10.at[v, "SFZH"]
    wrong = next(c for c in "0123456789" if c != good[17] and c != CHECK_TEXT[(CHECK_TEXT.index(good[17]) + 3) % 11])
    reg10.at[v, "SFZH"] = good[:17] + wrong
    plant.add(
        R,
        v,
        "SFZH",
        "id_bad_check_digit",
        "validate:SFZH_CHECKSUM",
        f"身份证号校验位错误：按前 17 位计算应为 {good[17]}，文件中为 {wrong}",
    )

    v = vic.take(lambda r: int(reg10.at[r, "CSRQ"][6:]) <= 18)
    old = reg10.at[v, "CSRQ"]
    new = old[:6] + f"{int(old[6:]) + 10:02d}"
    reg10.at[v, "CSRQ"] = new
    plant.add(
        R,
        v,
        "CSRQ",
        "id_birth_mismatch",
        "validate:SFZH_BIRTH_MISMATCH",
        f"出生日期 {new} 与身份证号中的出生日期 {old} 不一致（身份证号本身有效）",
    )

    v = vic.take()
    old = reg10.at[v, "XB"]
    reg10.at[v, "XB"] = "女" if old == "男" else "男"
    plant.add(
        R,
        v,
        "XB",
        "id_sex_mismatch",
        "validate:SFZH_SEX_MISMATCH",
        f"性别填“{reg10.at[v, 'XB']}”，身份证号第 17 位 {reg10.at[v, 'SFZH'][16]} 表示{old}",
    )

    v = vic.take()
    sf = reg10.at[v, "SFZH"]
    bad = _fix_check(sf[:6] + sf[6:10] + "0230" + sf[14:17])
    reg10.at[v, "SFZH"] = bad
    plant.add(
        R,
        v,
        "SFZH",
        "id_invalid_birth_date",
        "validate:SFZH_BIRTH_INVALID",
        f"身份证号中的出生日期 {sf[6:10]}0230 不是有效日期（校验位按这个号码计算是对的；"
        f"出生日期字段为真实日期 {reg10.at[v, 'CSRQ']}，两者无法比较）",
    )

    v = vic.take()
    sf = reg10.at[v, "SFZH"]
    bad = _fix_check("24" + sf[2:17])
    reg10.at[v, "SFZH"] = bad
    plant.add(
        R,
        v,
        "SFZH",
        "id_unknown_area",
        "validate:SFZH_AREA_UNKNOWN",
        f"身份证号地址码 {bad[:6]}：前两位 24 不是任何省级行政区划（校验位正确）",
    )

    v = vic.take(lambda r: reg10.at[r, "SFZH"].endswith("X"))
    reg10.at[v, "SFZH"] = reg10.at[v, "SFZH"][:17] + "x"
    plant.add(
        R,
        v,
        "SFZH",
        "id_lowercase_x",
        "validate:SFZH_LOWER_X",
        "身份证号末位校验码写成小写 x，应为大写 X（号码本身正确）",
    )

    for r in hmt_rids:
        code = reg10.at[r, "SFZH"][:6]
        place = HMT_AREAS[int(code)]
        if place == "台湾":
            reg10.at[r, "MZ"] = "台湾"
        note = "；民族字段按港澳台生规定填写户籍所在区域“台湾”" if place == "台湾" else ""
        plant.add(
            R,
            r,
            "SFZH",
            "id_hmt_residence_permit",
            "validate:OK",
            f"港澳台居民居住证号码（地址码 {code}，{place}），出生日期和校验位都正确，不应报错{note}",
        )


def _plant_duplicate_upload(plant: _Planted, vic: _Victims, reg10: pd.DataFrame) -> pd.DataFrame:
    """One student uploaded twice (a different 学号): returns the second record, id 900,001."""
    A, R = FILE_ADMISSION_10, FILE_REGISTRATION_10
    v = vic.take()
    dup_rid = 900_001
    copy = reg10.loc[[v]].copy()
    copy.index = [dup_rid]
    copy.at[dup_rid, "XH"] = copy.at[dup_rid, "XH"][:-2] + "99"
    for r in (v, dup_rid):
        other = dup_rid if r == v else v
        mk = _uploaded_twice_text(other)
        plant.add(R, r, "KSH", "duplicate_ksh", "validate:KSH_DUPLICATE", mk)
        plant.add(R, r, "SFZH", "duplicate_ksh", "validate:SFZH_DUPLICATE", mk)
        plant.add(R, r, "KSH", "duplicate_ksh", "reconcile:duplicate_key", mk)
    plant.add(
        A,
        v,
        "KSH",
        "duplicate_ksh",
        "reconcile:matched",
        lambda rowof, v=v: (
            f"这名学生在注册上报中出现两次（第 {rowof(R, v)}、{rowof(R, dup_rid)} 行，两条都是 "
            "duplicate_key）；录取一侧的考生号、姓名、层次都对得上，算 matched，并应指出对方重复"
        ),
    )
    return copy


def _uploaded_twice_text(other: int) -> Callable[[RowOf], str]:
    """The sentence of a record uploaded twice, naming the row of the other record ``other``."""
    return lambda rowof: (
        f"同一名学生在上传文件中出现两次（另一条在第 {rowof(FILE_REGISTRATION_10, other)} 行）：考生号、身份证号相同，只有学号不同"
    )


def _plant_shared_id(plant: _Planted, vic: _Victims, reg10: pd.DataFrame) -> None:
    """A student given another student's 身份证号 (both born the same day, same sex)."""
    R = FILE_REGISTRATION_10
    csrq_sex = reg10["CSRQ"] + reg10["XB"]
    pair = None
    for a in vic.order:
        if a in vic.used:
            continue
        mates = [
            b
            for b in reg10.index[(csrq_sex == csrq_sex[a]).to_numpy()]
            if b != a and b not in vic.used and b in set(vic.order)
        ]
        if mates:
            pair = (a, mates[0])
            break
    a, b = pair
    vic.exclude([a, b])
    reg10.at[b, "SFZH"] = reg10.at[a, "SFZH"]
    plant.add(
        R,
        a,
        "SFZH",
        "duplicate_sfzh",
        "validate:SFZH_DUPLICATE",
        lambda rowof, a=a, b=b: f"身份证号与第 {rowof(R, b)} 行（另一名学生）相同；本行是身份证号的真正主人",
    )
    plant.add(
        R,
        b,
        "SFZH",
        "duplicate_sfzh",
        "validate:SFZH_DUPLICATE",
        lambda rowof, a=a, b=b: (
            f"误录成第 {rowof(R, a)} 行学生的身份证号（两人出生日期、性别相同，所以号码与本行出生日期、性别并不矛盾）"
        ),
    )


def _plant_misspelt_names(
    plant: _Planted, vic: _Victims, adm10: pd.DataFrame, reg10: pd.DataFrame, names: set[str]
) -> None:
    """Reconciliation key mismatches in the name: a one-character typo, and a rare character the admission
    list holds as ``??``. ``names``: every generated name (a misspelling must not be someone else's name)."""
    A, R = FILE_ADMISSION_10, FILE_REGISTRATION_10
    v = vic.take(
        lambda r: reg10.at[r, "XM"][-1] in TYPO and reg10.at[r, "XM"][:-1] + TYPO[reg10.at[r, "XM"][-1]] not in names
    )
    old = reg10.at[v, "XM"]
    new = old[:-1] + TYPO[old[-1]]
    reg10.at[v, "XM"] = new
    for f in (A, R):
        plant.add(
            f,
            v,
            "XM",
            "name_typo",
            "reconcile:key_mismatch",
            f"姓名差一个字：录取数据为“{old}”，注册上报为“{new}”（考生号、层次一致）",
        )

    v = vic.take(
        lambda r: (
            reg10.at[r, "XM"][0] in SURNAMES
            and reg10.at[r, "XB"] == "男"
            and reg10.at[r, "XM"][0] + RARE_OUTSIDE_GBK not in names
        )
    )
    full = reg10.at[v, "XM"][0] + RARE_OUTSIDE_GBK
    placeholder = reg10.at[v, "XM"][0] + "??"
    reg10.at[v, "XM"] = full
    adm10.at[v, "XM"] = placeholder
    plant.add(
        A,
        v,
        "XM",
        "name_placeholder",
        "validate:XM_PLACEHOLDER",
        f"录取数据姓名“{placeholder}”：生僻字“{RARE_OUTSIDE_GBK}”（U+4DAE，GBK 没有）用半角 ?? 代替",
    )
    for f in (A, R):
        plant.add(
            f,
            v,
            "XM",
            "name_placeholder",
            "reconcile:key_mismatch",
            f"录取数据姓名为“{placeholder}”（?? 代替生僻字），注册上报为“{full}”"
            "（注册文件用 GB18030 编码写入）；按 ? 通配可以对上，但平台严格比对不通过",
        )


def _plant_key_mismatches(
    plant: _Planted, vic: _Victims, adm10: pd.DataFrame, reg10: pd.DataFrame, extra_ksh: str
) -> None:
    """Other key mismatches: two adjacent 考生号 digits swapped, 层次 changed, a Latin letter added to a name,
    an empty 考生号. ``extra_ksh``: the registration-only person's 考生号 (a swap must not produce it)."""
    A, R = FILE_ADMISSION_10, FILE_REGISTRATION_10
    all_ksh = set(adm10["KSH"]) | {extra_ksh}

    def swapped(k):
        for i in range(13, 9, -1):
            if k[i - 1] != k[i]:
                s = k[: i - 1] + k[i] + k[i - 1] + k[i + 1 :]
                if s not in all_ksh:
                    return s
        return None

    v = vic.take(lambda r: swapped(reg10.at[r, "KSH"]) is not None)
    old = reg10.at[v, "KSH"]
    new = swapped(old)
    reg10.at[v, "KSH"] = new
    for f in (A, R):
        plant.add(
            f,
            v,
            "KSH",
            "ksh_adjacent_swap",
            "reconcile:key_mismatch",
            f"考生号相邻两位颠倒：录取数据 {old}，注册上报 {new}（身份证号、姓名一致，可据此找到对方）",
        )

    v = vic.take(lambda r: reg10.at[r, "CC"] == "专科")
    reg10.at[v, "CC"] = "本科"
    for f in (A, R):
        plant.add(
            f,
            v,
            "CC",
            "cc_mismatch",
            "reconcile:key_mismatch",
            f"层次不一致：录取数据为 专科（{reg10.at[v, 'ZYMC']}），注册上报为 本科",
        )

    v = vic.take()
    reg10.at[v, "XM"] = reg10.at[v, "XM"] + "A"
    plant.add(
        R,
        v,
        "XM",
        "name_latin_letter",
        "validate:XM_INVALID_CHAR",
        f"姓名“{reg10.at[v, 'XM']}”含拉丁字母（为区分同名学生加的后缀）",
    )
    plant.add(
        R,
        v,
        "XM",
        "name_latin_letter",
        "reconcile:key_mismatch",
        f"注册姓名“{reg10.at[v, 'XM']}”与录取姓名“{adm10.at[v, 'XM']}”不同",
    )
    plant.add(
        A,
        v,
        "XM",
        "name_latin_letter",
        "reconcile:key_mismatch",
        f"录取姓名“{adm10.at[v, 'XM']}”与注册姓名“{reg10.at[v, 'XM']}”不同",
    )

    v = vic.take()
    reg10.at[v, "KSH"] = ""
    plant.add(R, v, "KSH", "missing_ksh", "validate:REQUIRED_EMPTY", "必填字段 考生号 为空")
    plant.add(
        R,
        v,
        "KSH",
        "missing_ksh",
        "reconcile:missing_key",
        lambda rowof, v=v: f"考生号为空；按身份证号可找到录取名单第 {rowof(A, v)} 行",
    )
    plant.add(
        A,
        v,
        "KSH",
        "missing_ksh",
        "reconcile:key_mismatch",
        lambda rowof, v=v: f"注册上报里没有这个考生号；按身份证号找到注册上报第 {rowof(R, v)} 行，那一行考生号为空",
    )


def _plant_not_admitted(plant: _Planted, rec_x: pd.DataFrame) -> pd.DataFrame:
    """The registration record without any admission record (returned, id 900,000)."""
    R = FILE_REGISTRATION_10
    extra = _registration_view(rec_x)
    extra.at[900_000, "XH"] = extra.at[900_000, "XH"][:-2] + "98"
    plant.add(
        R,
        900_000,
        "KSH",
        "not_admitted",
        "reconcile:not_admitted",
        "注册上报有这条记录，录取数据里没有：考生号、身份证号、姓名+出生日期都找不到对应记录，"
        "考生号也不是任何录取考生号改一位或颠倒两位的结果",
    )
    return extra


def _plant_not_registered(plant: _Planted, vic: _Victims) -> dict[int, tuple[str | None, str]]:
    """Admitted students who did not register: {record id: (state in the new-student status list or None, why)}."""
    A = FILE_ADMISSION_10
    states = [
        ("保留入学资格", "应征入伍，保留入学资格"),
        ("保留入学资格", "因病申请保留入学资格"),
        ("放弃入学资格", "复读"),
        ("放弃入学资格", "出国留学"),
        ("取消入学资格", "入学复查不合格"),
        (None, ""),
        (None, ""),
    ]
    status_of = {}
    for state, why in states:
        v = vic.take()
        status_of[v] = (state, why)
        label = state or "none"
        desc = (
            f"录取后未注册；新生状态名单中为“{state}”（{why}）"
            if state
            else "录取后未注册，也不在新生状态名单中（状态未知）"
        )
        plant.add(A, v, "KSH", "not_registered", f"reconcile:not_registered/{label}", desc)
    return status_of


def _plant_content_problems(plant: _Planted, vic: _Victims, reg10: pd.DataFrame, maonan_rid: int, year: int) -> None:
    """Other content rules of the registration upload: empty, unknown or old-name codes, a bad date, a
    学习形式 that does not fit the category."""
    R = FILE_REGISTRATION_10
    v = vic.take()
    reg10.at[v, "ZYMC"] = ""
    plant.add(R, v, "ZYMC", "required_empty", "validate:REQUIRED_EMPTY", "必填字段 专业名称 为空")
    v = vic.take(lambda r: reg10.at[r, "MZ"] == "汉族")
    reg10.at[v, "MZ"] = "汗族"
    plant.add(R, v, "MZ", "mz_invalid", "validate:CODE_INVALID", "民族“汗族”不在民族代码表中（应为 汉族）")
    reg10.at[maonan_rid, "MZ"] = "毛难族"
    plant.add(
        R,
        maonan_rid,
        "MZ",
        "mz_old_name",
        "validate:CODE_DEPRECATED",
        "民族写作旧称“毛难族”，现名“毛南族”（代码 36）：应接受并提示改用新名称",
    )
    v = vic.take(lambda r: reg10.at[r, "XZ"] == "4")
    reg10.at[v, "XZ"] = "4年"
    plant.add(R, v, "XZ", "xz_invalid", "validate:CODE_INVALID", "学制“4年”不在学制代码表中（应为 4）")
    v = vic.take()
    reg10.at[v, "RXRQ"] = f"{year}0931"
    plant.add(R, v, "RXRQ", "date_invalid", "validate:DATE_INVALID", f"入学日期 {year}0931 不是有效日期")
    v = vic.take()
    reg10.at[v, "XXXS"] = "函授"
    plant.add(
        R,
        v,
        "XXXS",
        "xxxs_category",
        "validate:XXXS_CATEGORY",
        "普通本专科（学历类别 10）的学习形式填成了“函授”（录取数据为普通全日制；类别 10 比对不含学习形式，"
        "所以核对结果仍是 matched）",
    )


def _plant_special_ksh(plant: _Planted, rec10: pd.DataFrame, special_rids: list[int]) -> None:
    """The school-made 考生号 of 专升本 and 五年一贯制 students: recognised, not errors."""
    A, R = FILE_ADMISSION_10, FILE_REGISTRATION_10
    for r in special_rids:
        what = "普通专升本" if rec10.at[r, "KIND"] == "zsb" else "五年一贯制"
        for f in (A, R):
            plant.add(
                f,
                r,
                "KSH",
                "special_ksh",
                "validate:KSH_SPECIAL",
                f"{what}学生的考生号 {rec10.at[r, 'KSH']} 由学校按统一规则编制（18 位：院校代码+年份+类别+序号），"
                "应识别为特殊类别，不是错误",
            )
        plant.add(R, r, "KSH", "special_ksh", "reconcile:matched", f"{what}学生，录取与注册一致")


def _plant_category_50(
    rng: np.random.Generator, plant: _Planted, rec50: pd.DataFrame, reg50: pd.DataFrame, old_rid: int
) -> pd.DataFrame:
    """Category 50: a 15-digit ID number (record ``old_rid``, born 1984), a 学习形式 mismatch, one adult not
    registered (dropped from the returned registration frame)."""
    A5, R5 = FILE_ADMISSION_50, FILE_REGISTRATION_50
    vic50 = _Victims(rng, rec50.index.to_numpy())
    v = old_rid
    vic50.exclude([v])
    sf = reg50.at[v, "SFZH"]
    id15 = sf[:6] + sf[8:17]
    reg50.at[v, "SFZH"] = id15
    plant.add(
        R5,
        v,
        "SFZH",
        "id_15_digit",
        "validate:SFZH_15",
        f"15 位旧身份证号，应报告并给出 18 位号码 {sf}（录取数据中是 18 位）",
    )
    v = vic50.take(lambda r: reg50.at[r, "XXXS"] == "函授")
    reg50.at[v, "XXXS"] = "业余"
    for f in (A5, R5):
        plant.add(
            f,
            v,
            "XXXS",
            "xxxs_mismatch",
            "reconcile:key_mismatch",
            "学习形式不一致：录取数据为 函授，注册上报为 业余（成人本专科要比对学习形式）",
        )
    v = vic50.take()
    plant.add(A5, v, "KSH", "not_registered", "reconcile:not_registered", "录取后未注册（成人本专科没有新生状态名单）")
    reg50 = reg50.drop(index=[v])
    return reg50


# -- the files -----------------------------------------------------------------------------------------------


def _plant_registered_states(plant: _Planted, vic: _Victims) -> dict[int, tuple[str, str]]:
    """Students in the registration upload whom the platform already holds in a state (000: “不再允许多次注册”;
    “⑶保留入学资格、取消入学资格：进行此操作需要在线修改学籍状态”): two registered in an earlier batch (报到入学)
    and one whose school set 放弃入学资格 — each gets its own reconcile status."""
    R = FILE_REGISTRATION_10
    planted = [
        (
            "报到入学",
            "第一批已注册",
            "already_registered",
            "已报到入学：新生状态名单中已是“报到入学”，平台不再允许多次注册，应从注册上报中删除",
        ),
        (
            "报到入学",
            "第一批已注册",
            "already_registered",
            "已报到入学：新生状态名单中已是“报到入学”，平台不再允许多次注册，应从注册上报中删除",
        ),
        (
            "放弃入学资格",
            "本人申请放弃",
            "state_abandoned",
            "新生状态为“放弃入学资格”，却仍在注册上报中：平台不会接受注册",
        ),
    ]
    out = {}
    for state, why, status, desc in planted:
        v = vic.take()
        out[v] = (state, why)
        plant.add(R, v, "KSH", status, f"reconcile:{status}", desc)
    return out


def _hei_sample(
    plant: _Planted,
    adm10: pd.DataFrame,
    reg10: pd.DataFrame,
    copy: pd.DataFrame,
    extra: pd.DataFrame,
    status_of: dict[int, tuple[str | None, str]],
    adm50: pd.DataFrame,
    reg50: pd.DataFrame,
    photo_rids: list[int],
    registered_states: dict[int, tuple[str, str]] | None = None,
) -> HeiSample:
    """The files in their order (registration by 学号 with the duplicate and the not-admitted record at the
    end; admission by 考生号), the new-student status list as downloaded **before** this upload (the states of
    admitted students the school has set: the unregistered ones, and the few of the upload the platform already
    holds — ``registered_states``) and the roster of the photo classes."""
    A, R = FILE_ADMISSION_10, FILE_REGISTRATION_10
    A5, R5 = FILE_ADMISSION_50, FILE_REGISTRATION_50
    not_reg = list(status_of)
    reg10 = reg10.drop(index=not_reg)
    reg10 = reg10.sort_values("XH", kind="stable")
    reg10 = pd.concat([reg10, copy, extra])
    adm10 = adm10.sort_values("KSH", kind="stable")
    st = adm10[["KSH", "XM", "SFZH"]].copy()
    st["ZT"] = ""
    st["BZ"] = ""
    for r, (state, why) in {**status_of, **(registered_states or {})}.items():
        if state:
            st.at[r, "ZT"] = state
            st.at[r, "BZ"] = why
    st = st[st["ZT"] != ""]  # admission order (by 考生号), only the students with a state
    adm50 = adm50.sort_values("KSH", kind="stable")
    reg50 = reg50.sort_values("XH", kind="stable")

    photo = reg10.loc[reg10.index.isin(photo_rids), ["KSH", "SFZH", "XM", "BH"]].copy()
    photo["ROW"] = [reg10.index.get_loc(r) + 1 for r in photo.index]
    files = {A: adm10, R: reg10, FILE_STATES_10: st, A5: adm50, R5: reg50}
    layouts = {
        A: "chsi_admission",
        R: "chsi_registration",
        FILE_STATES_10: "chsi_new_student_status",
        A5: "chsi_admission",
        R5: "chsi_registration",
    }
    enc = {A: "gbk", R: "gb18030", FILE_STATES_10: "gbk", A5: "gbk", R5: "gbk"}
    keys = {f: "KSH" for f in files}
    return HeiSample(files=files, layouts=layouts, encodings=enc, planted=plant, photo_roster=photo, keys=keys)
