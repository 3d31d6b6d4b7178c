"""A Big5 (繁体) DBF without a code-page mark (header byte 29 is 0) is not read as GB18030 mojibake: it is a
``FileFormatError`` naming the file, saying it looks like Big5 and how to read it, as the CSV reader says it
(``xueji_lib.core.charsets``); ``encoding="big5"`` reads it. GBK files — the sample DBFs, the synthetic
generators' data — are never taken for Big5, with or without their code-page mark."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import xueji_lib as xj
from tests.dbfbytes import build_dbf
from xueji_lib.core.charsets import not_gbk
from xueji_lib.samples import synth

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DBFS = sorted((ROOT / "data_samples" / "hei").glob("*.dbf"))

FIELDS = [("XM", "C", 20, 0), ("XB", "C", 2, 0), ("SFZH", "C", 18, 0), ("XXMC", "C", 40, 0), ("JTDZ", "C", 40, 0)]
STUDENTS = [
    ("陳大文", "男", "A123456789", "臺北市立建國高級中學", "臺北市中正區南海路56號"),
    ("林美麗", "女", "B223456781", "國立臺灣師範大學附屬高級中學", "臺北市大安區信義路三段143號"),
    ("張志豪", "男", "C134567892", "高雄市立高雄高級中學", "高雄市新興區五福一路50號"),
    ("黃淑芬", "女", "D245678903", "臺中市立臺中女子高級中等學校", "臺中市西區自由路一段95號"),
    ("李國華", "男", "E156789014", "新北市立板橋高級中學", "新北市板橋區文化路一段25號"),
    ("吳佩珊", "女", "F267890125", "國立新竹女子高級中學", "新竹市東區中華路二段270號"),
    ("劉建億", "男", "G178901236", "臺南市立臺南第一高級中學", "臺南市東區民族路一段1號"),
    ("蔡雅婷", "女", "H289012347", "桃園市立武陵高級中等學校", "桃園市桃園區中山路889號"),
    ("鄭偉倫", "男", "J190123458", "基隆市立基隆女子高級中學", "基隆市信義區東信路324號"),
    ("謝欣穎", "女", "K201234569", "國立嘉義女子高級中學", "嘉義市東區垂楊路1號"),
]


def _big5_dbf(path: Path, ldid: int = 0x00) -> Path:
    rows = [[v.encode("big5") for v in s] for s in STUDENTS]
    # a byte-truncating export: the last address cut to 18 bytes, in the middle of its last character
    rows[-1][4] = STUDENTS[-1][4].encode("big5")[:18]
    path.write_bytes(build_dbf(FIELDS, rows, ldid=ldid))
    return path


def _unmarked(src: Path, dst: Path) -> Path:
    """``src`` with its code-page byte set to 0 (no mark: read as GB18030, the Big5 test runs)."""
    data = bytearray(src.read_bytes())
    data[29] = 0
    dst.write_bytes(bytes(data))
    return dst


def test_unmarked_big5_dbf_is_said_not_read_as_mojibake(tmp_path):
    path = _big5_dbf(tmp_path / "臺灣學生名冊.dbf")
    assert xj.inspect_dbf(path).codepage == 0
    with pytest.raises(xj.FileFormatError) as exc:
        xj.read_dbf(path)
    message = str(exc.value)
    assert isinstance(exc.value, xj.XuejiError) and isinstance(exc.value, ValueError)
    assert str(path) in message
    assert "Big5" in message and "繁体" in message
    assert "encoding='big5'" in message and "--encoding big5" in message
    assert "未标明代码页" in message


def test_the_command_says_it_in_one_line(tmp_path, capsys):
    from xueji_lib.apps.cli import main

    path = _big5_dbf(tmp_path / "臺灣學生名冊.dbf")
    assert main(["validate", str(path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("错误：文件 ") and str(path) in err and "--encoding big5" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("encoding", ["big5", "cp950"])
def test_explicit_big5_reads_the_traditional_text(tmp_path, encoding):
    path = _big5_dbf(tmp_path / "臺灣學生名冊.dbf")
    df = xj.read_dbf(path, encoding=encoding)
    assert df["XM"].tolist() == [s[0] for s in STUDENTS]
    assert df["XXMC"].tolist() == [s[3] for s in STUDENTS]
    assert df["JTDZ"].tolist()[:-1] == [s[4] for s in STUDENTS[:-1]]
    assert df["JTDZ"].iloc[-1] == "嘉義市東區垂楊路1"  # the cut character is dropped, with a warning
    assert xj.load_report(df).encoding == encoding


def test_an_unknown_codepage_byte_on_big5_text_is_said_too(tmp_path):
    path = _big5_dbf(tmp_path / "名冊.dbf", ldid=0xFE)
    with pytest.raises(xj.FileFormatError, match="Big5") as exc:
        xj.read_dbf(path)
    assert "0xFE" in str(exc.value) and str(path) in str(exc.value)


def test_a_big5_codepage_mark_reads_without_a_word(tmp_path):
    path = _big5_dbf(tmp_path / "名冊.dbf", ldid=0x78)  # the Big5 (cp950) language driver
    assert xj.read_dbf(path)["XM"].tolist() == [s[0] for s in STUDENTS]


def test_gbk_with_rare_name_characters_is_not_taken_for_big5(tmp_path):
    names = ["王䶮", "李四", "张三", "赵昱", "陈赟", "周昇", "吴淼", "欧阳·娜娜", "刘玥", "王堃"]
    path = tmp_path / "简体.dbf"
    path.write_bytes(build_dbf([("XM", "C", 20, 0)], [[n.encode("gb18030")] for n in names], ldid=0x00))
    assert xj.read_dbf(path)["XM"].tolist() == names


@pytest.mark.parametrize("src", SAMPLE_DBFS, ids=lambda p: p.name)
def test_sample_dbfs_are_never_flagged(tmp_path, src):
    """Each sample DBF, with its GBK mark and without it, reads to the same frame."""
    marked = xj.read_dbf(src)
    unmarked = xj.read_dbf(_unmarked(src, tmp_path / src.name))
    pd.testing.assert_frame_equal(unmarked, marked)


@pytest.mark.parametrize("seed", [1, 7, 2026])
def test_generated_registration_dbfs_are_never_flagged(tmp_path, seed):
    src = synth.write_registration_dbf(3000, tmp_path / "注册上报.dbf", seed=seed)
    marked = xj.read_dbf(src)
    pd.testing.assert_frame_equal(xj.read_dbf(_unmarked(src, tmp_path / "无代码页.dbf")), marked)


def test_generated_sample_folder_is_never_flagged(tmp_path):
    """A whole sample folder from another seed (the planted rare characters, the 50 category, the k12 CSV):
    every DBF read unmarked, the CSV/TXT files as ``read_table`` reads them."""
    folder = synth.write_samples(tmp_path / "samples", seed=20260917, n_hei=300, n_adult=120)
    dbfs = sorted(folder.rglob("*.dbf"))
    assert dbfs
    for src in dbfs:
        pd.testing.assert_frame_equal(xj.read_dbf(_unmarked(src, tmp_path / src.name)), xj.read_dbf(src))
    for src in sorted(folder.rglob("*.csv")):
        if src.name != "planted.csv":
            xj.read_table(src)


def test_generators_text_columns_read_as_gbk():
    """The detection itself on every text column the generators make (one column at a time, the strictest
    sample: a column of names holds the rare name characters)."""
    hei = synth.make_hei(seed=5, n_students=600, n_adult=200)
    frames = list(hei.files.values())
    frames += [synth.make_registration_frame(2000, seed=3)]
    checked = 0
    for frame in frames:
        for name in frame.columns:
            values = frame[name].dropna()
            if not (pd.api.types.is_string_dtype(values) or values.dtype == object):
                continue
            text = "\n".join(str(v) for v in values)
            try:
                data = text.encode("gbk")
            except UnicodeEncodeError:
                data = text.encode("gb18030")
            assert not_gbk(text, data) is None, name
            checked += 1
    assert checked > 20


def test_the_csv_reader_says_the_same(tmp_path):
    """One message for both readers (the CSV reader's test is in test_hostile_files)."""
    text = "姓名,學校\n" + "".join(f"{s[0]},{s[3]}\n" for s in STUDENTS)
    csv_path = tmp_path / "名冊.csv"
    csv_path.write_bytes(text.encode("big5"))
    with pytest.raises(xj.FileFormatError) as csv_exc:
        xj.read_table(csv_path)
    with pytest.raises(xj.FileFormatError) as dbf_exc:
        xj.read_dbf(_big5_dbf(tmp_path / "名冊.dbf"))
    tail = "像是繁体中文 Big5 编码，请用 encoding='big5' 指定（命令行用 --encoding big5）"
    assert str(csv_exc.value).endswith(tail) and str(dbf_exc.value).endswith(tail)


def test_copy_of_sample_keeps_its_mark(tmp_path):
    """(guard) the samples carry the GBK mark 0x4D, so without the copy above the Big5 test would not run."""
    src = SAMPLE_DBFS[0]
    shutil.copy(src, tmp_path / src.name)
    assert xj.inspect_dbf(tmp_path / src.name).codepage == 0x4D
