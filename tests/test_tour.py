"""xueji_lib/notebooks/导览.ipynb, the guided tour, run top to bottom with a real kernel the way JupyterLab runs
it (working directory: the notebooks' folder): no cell errors, the figures the library computes for the same
files (``sample_folder()``: the checkout's data_samples/) are in the outputs, no personal value from the samples
appears in any output, the lists go to a temporary folder and nothing is written into data_samples/."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

import xueji_lib as xj
from xueji_lib.apps.lab import KERNEL_NAME, NOTEBOOK_ROOT, ensure_kernelspec
from xueji_lib.reporting import display as xd
from xueji_lib.samples import sample_folder
from xueji_lib.samples.folder import SAMPLES_ENV

pytestmark = pytest.mark.notebook  # real kernels

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = NOTEBOOK_ROOT  # xueji_lib/notebooks, package data
TOUR = NOTEBOOKS / "导览.ipynb"
SAMPLES = ROOT / "data_samples"
HEI, K12 = SAMPLES / "hei", SAMPLES / "k12"


def _listing(folder: Path) -> dict:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns) for p in sorted(folder.rglob("*"))}


def _execute(nb, cwd: Path):
    NotebookClient(
        nb, kernel_name=ensure_kernelspec(), timeout=300, resources={"metadata": {"path": str(cwd)}}
    ).execute()
    return nb


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The executed tour, TMPDIR pointing at a fresh folder (where the notebook's mkdtemp lands)."""
    tmp = tmp_path_factory.mktemp("tour_tmp")
    before = {"data_samples": _listing(SAMPLES), "notebooks": _listing(NOTEBOOKS)}
    nb = nbformat.read(TOUR, as_version=4)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TMPDIR", str(tmp))
        mp.setenv("XUEJI_PROGRESS", "1")
        _execute(nb, NOTEBOOKS)
    after = {"data_samples": _listing(SAMPLES), "notebooks": _listing(NOTEBOOKS)}
    return {"nb": nb, "tmp": tmp, "before": before, "after": after}


def _outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _all_text(nb) -> str:
    """Every output as a person could read it: text/plain, streams, errors, HTML with its tags dropped (and
    the raw HTML too, so an attribute cannot hide a value), plotly JSON as written."""
    parts = []
    for o in _outputs(nb):
        if o.output_type == "stream":
            parts.append(o.text)
        elif o.output_type == "error":
            parts += [o.ename, o.evalue, *o.traceback]
        for mime, value in o.get("data", {}).items():
            value = value if isinstance(value, str) else str(value)
            parts.append(value)
            if mime == "text/html":
                parts.append(html.unescape(re.sub(r"<[^>]+>", " ", value)))
    return "\n".join(parts)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def text(run):
    return _all_text(run["nb"])


@pytest.fixture(scope="module")
def expected():
    """The same computations as the tour, by the library, on the files sample_folder() gives (the checkout's
    data_samples/, as the tour's paths), from the notebooks' folder."""
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(NOTEBOOKS)
        s = sample_folder()
        assert s == SAMPLES
        reg = xj.read_dbf(s / "hei" / "10_注册上报.dbf")
        adm = xj.read_dbf(s / "hei" / "10_录取名单.dbf")
        states = xj.read_dbf(s / "hei" / "10_新生状态.dbf")
        roster = xj.read_table(s / "k12" / "学生名单_2026春.xlsx", "k12_student")
        old = xj.read_table(s / "k12" / "学生名单_2025秋.xlsx", "k12_student")
        changes = xj.read_table(s / "k12" / "学籍异动_2026春.xlsx", "k12_changes")
        grads = xj.read_table(s / "k12" / "毕业生_2026.xlsx", "k12_student")
        intake = xj.read_table(s / "k12" / "新生_2026秋.xlsx", "k12_student")
        res = xj.reconcile(adm, reg, year=2026, category="10", states=states)
        return {
            "reg": reg,
            "roster": roster,
            "load": [xj.load_report(reg), xj.load_report(roster)],
            "vres": xj.validate(reg, year=2026, category="10"),
            "kres": xj.validate(roster),
            "res": res,
            "cmp": xj.compare(old, roster, changes=changes, old_name="2025秋", new_name="2026春"),
            "hand": xj.handoff(grads, intake),
            "kstats": xj.k12_stats(roster, previous=old),
            "hstats": xj.higher_ed_stats(reg, admission=adm, reconcile_result=res, year=2026, category="10"),
        }


# ------------------------------------------------------------------------------------------- the notebook


def test_committed_notebook_is_clean_and_uses_the_xueji_kernel():
    nb = nbformat.read(TOUR, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == KERNEL_NAME
    report_nb = json.loads((NOTEBOOKS / "新生注册核对报告.ipynb").read_text("utf-8"))
    assert nb.metadata["kernelspec"] == report_nb["metadata"]["kernelspec"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)  # no outputs committed
    # every step is explained: a markdown cell before each code cell's step, headings in order
    headings = [
        m.group(1) for c in nb.cells if c.cell_type == "markdown" for m in re.finditer(r"^## (.+)$", c.source, re.M)
    ]
    steps = [h for h in headings if h.startswith("第")]
    assert [h[:3] for h in steps] == ["第一步", "第二步", "第三步", "第四步", "第五步", "第六步"]
    last = nb.cells[-1]
    assert last.cell_type == "markdown" and all(
        w in last.source for w in ("xueji report --samples", "xueji dashboard", "xueji lab", "xueji start")
    )
    # short code cells that only call the library
    assert max(len(c.source.splitlines()) for c in code) <= 15
    assert "data_samples" in code[0].source and "找不到样例数据" in code[0].source
    assert "SAMPLES = sample_folder()" in code[0].source


def test_no_cell_errored(run):
    errors = [o for o in _outputs(run["nb"]) if o.output_type == "error"]
    assert not errors, errors[0]["ename"] + ": " + errors[0]["evalue"] if errors else ""
    code = [c for c in run["nb"].cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)


def test_progress_is_shown_in_the_notebook(run):
    progress = [o for o in _outputs(run["nb"]) if o.get("metadata", {}).get("xueji_progress")]
    texts = " ".join(o["data"]["text/plain"] for o in progress)
    for label in ("读取 10_注册上报.dbf", "读取 学生名单_2026春.xlsx", "校验", "核对", "对比"):
        assert label in texts
    assert "<progress" in progress[0]["data"]["text/html"]


def test_load_reports_are_shown(run, text, expected):
    flat = _flat(text)
    for rep in expected["load"]:
        for line in rep.summary().splitlines():
            assert _flat(line) in flat, line
    assert "EXCEL_NUMBER_DAMAGED" in text and "gb18030" in text


def test_key_figures_equal_the_library(text, expected):
    flat = _flat(text)
    # every line of each result's own summary, computed here on the same files, is in the outputs
    for key in ("vres", "kres", "res", "cmp", "hand", "kstats", "hstats"):
        for line in xd.to_text(expected[key]).splitlines():
            assert _flat(line).strip() in flat, f"{key}: {line}"
    v = expected["vres"]
    assert f"通过 {v.passed_count} 条，有误 {v.failed_count} 条" in flat and v.total == len(expected["reg"])
    c = expected["res"].counts
    reg, adm = c["registration"], c["admission"]
    assert (
        f"注册上报 {reg['total']} 条 = 一致 {reg['matched']} + 关键字段不一致 {reg['key_mismatch']} + "
        f"录取数据中没有 {reg['not_admitted']} + 考生号重复 {reg['duplicate_key']} + 缺考生号 {reg['missing_key']}"
    ) in flat
    assert (
        f"录取数据 {adm['total']} 条 = 一致 {adm['matched']} + 关键字段不一致 {adm['key_mismatch']} + "
        f"未注册 {adm['not_registered']}"
    ) in flat
    # the reconcile summary table: each row 名单 结果 记录数
    for _, row in xd.summary_frame(expected["res"]).iterrows():
        assert f"{row['名单']} {row['结果']} {row['记录数']}" in flat
    # every 数据有误 reason, in full
    for reason in v.reasons():
        assert _flat(reason) in flat, reason
    # the two statistics tables shown: their 合计 rows
    for name, st, cols in (
        ("按学校", expected["kstats"], ["人数"]),
        ("各专业注册率", expected["hstats"], ["录取人数", "注册一致", "关键字段不一致", "未注册"]),
    ):
        total = st.table(name).iloc[-1]
        assert "合计 " + " ".join(str(int(total[c])) for c in cols) in flat, name


def test_charts_are_plotly_figures(run):
    figures = [o for o in _outputs(run["nb"]) if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(figures) == 4  # validation, reconcile, compare, handoff — each in its own cell
    assert all(set(o["data"]) <= {"application/vnd.plotly.v1+json", "text/plain", "text/html"} for o in figures)


def _id_like(value: str) -> str:
    return re.sub(r"\s", "", unicodedata.normalize("NFKC", value)).upper()


def test_personal_data_masked_in_every_output(text):
    """No full 18-digit ID number (students' and family members', as written or normalised), mobile number or
    home address from any sample roster the tour reads appears anywhere in the outputs."""
    ids, phones, addresses = set(), set(), set()
    frames = [xj.read_dbf(HEI / n) for n in ("10_注册上报.dbf", "10_录取名单.dbf", "10_新生状态.dbf")]
    frames += [
        xj.read_table(K12 / n, "k12_student")
        for n in ("学生名单_2026春.xlsx", "学生名单_2025秋.xlsx", "毕业生_2026.xlsx", "新生_2026秋.xlsx")
    ]
    frames.append(xj.read_table(K12 / "学籍异动_2026春.xlsx", "k12_changes"))
    for df in frames:
        for col in df.columns:
            values = df[col].dropna().astype(str)
            if "SFZ" in col or col in ("XJH",):
                for v in values:
                    for form in (v, _id_like(v)):
                        ids.update(re.findall(r"\d{17}[\dXx]", form))
            elif col.endswith("LXDH"):
                phones.update(v for v in values if re.fullmatch(r"1\d{10}", v))
            elif col in ("JTDZ", "XZZ", "TXDZ") or col.endswith("XZZ"):
                addresses.update(v for v in values if len(v) >= 8)
    assert len(ids) > 2000 and phones and addresses  # the check has something to look for
    upper = text.upper()
    leaked_ids = sorted(i for i in ids if i.upper() in upper)
    assert not leaked_ids, f"{len(leaked_ids)} 个完整身份证号出现在输出中，例如第一个以 {leaked_ids[0][:6]} 开头"
    leaked_phones = [p for p in phones if p in text]
    assert not leaked_phones, f"{len(leaked_phones)} 个手机号出现在输出中"
    leaked_addresses = [a for a in addresses if a in text]
    assert not leaked_addresses, f"{len(leaked_addresses)} 个地址出现在输出中"


def test_lists_written_to_a_temporary_folder_not_into_the_samples(run, text):
    assert run["after"]["data_samples"] == run["before"]["data_samples"]
    assert run["after"]["notebooks"] == run["before"]["notebooks"]
    made = [p for p in run["tmp"].iterdir() if p.name.startswith("xueji_导览_")]
    assert len(made) == 1, list(run["tmp"].iterdir())
    out = made[0]
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {
        "校验结果/校验通过.dbf",
        "校验结果/数据有误.dbf",
        "校验结果/校验结果.xlsx",
        "核对结果/资格有误.dbf",
        "核对结果/未注册.dbf",
        "核对结果/核对结果.xlsx",
        "对比结果/对比结果.xlsx",
        "对比结果/results.csv",
    } <= written
    for rel in written:  # the listing cell shows each file written (a folder of files: the folder)
        assert Path(*Path(rel).parts[:2]).name in text
    assert str(out) in text
    # the lists hold what the library says: 数据有误.dbf has every failing record
    failed = xj.read_dbf(out / "校验结果" / "数据有误.dbf")
    assert "JYJG" in failed.columns and len(failed) == int(re.search(r"有误 (\d+) 条", text).group(1))


def _first_cell():
    nb = nbformat.read(TOUR, as_version=4)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells = nb.cells[: first + 1]
    return nb


def test_opened_elsewhere_the_samples_are_found(tmp_path):
    """A copy of the notebook opened in another folder finds the same samples (no relative path)."""
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    nb = _execute(_first_cell(), elsewhere)
    printed = "".join(o.get("text", "") for o in _outputs(nb) if o.output_type == "stream")
    assert printed.strip() == f"样例数据： {SAMPLES}"


def test_missing_samples_fail_with_a_chinese_message(tmp_path, monkeypatch):
    """Pointed (XUEJI_SAMPLES) at a folder the samples are not in, the first code cell says why."""
    elsewhere = tmp_path / "notebooks"
    elsewhere.mkdir()
    monkeypatch.setenv(SAMPLES_ENV, str(elsewhere))
    with pytest.raises(CellExecutionError) as info:
        _execute(_first_cell(), elsewhere)
    assert "FileNotFoundError" in str(info.value) and "找不到样例数据" in str(info.value)
    assert "make samples" in str(info.value)
