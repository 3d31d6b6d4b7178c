"""The README of the committed samples (``data_samples/README.md``): what each file is, what ``planted.csv``
holds and how to read it, the planted problems counted by expected result and listed one by one, how to
regenerate. Written by ``write_samples`` from the files it wrote and the problems it planted.
"""

from __future__ import annotations

import pandas as pd

from .hei import FILE_ADMISSION_10, FILE_ADMISSION_50, FILE_REGISTRATION_10, FILE_REGISTRATION_50, FILE_STATES_10
from .hei_late import FILE_REGISTRATION_LATE
from .hei_terms import FILE_HEI_CHANGES, FILE_HEI_ROSTER_NEW, FILE_HEI_ROSTER_OLD
from .k12_check import FILE_CHECK_MIDDLE, FILE_CHECK_PRIMARY
from .k12_grad_fix import FILE_GRADUATES_FIX
from .k12_roster import (
    FILE_CHANGES,
    FILE_GRADUATES,
    FILE_INTAKE,
    FILE_ROSTER_CSV,
    FILE_ROSTER_NEW,
    FILE_ROSTER_OLD,
)
from .photos import PHOTO_DIR
from .vocabulary import DBF_DATE, SCHOOL_CODE, SCHOOL_NAME, XLSX_DATE, YEAR

#: What each sample file is (README table); {school}, {code}, {year} are filled in, the photo folder's
#: {classes} and {members} by ``write_samples``.
FILE_NOTES = {
    FILE_ADMISSION_10: "学历类别 10（普通本专科）教育部录取数据：{school}（虚构，院校代码 {code}）{year} 年录取的新生，"
    "含 5 名特殊类别（普通专升本 3 名、五年一贯制 2 名，考生号由学校编制）。代码值：XBDM 1/2、MZDM 两位、ZZMMDM 两位；"
    "层次、学习形式为文字。",
    FILE_REGISTRATION_10: "学历类别 10 新生学籍注册上报（学信网上传结构，文本值：男/女、汉族、共青团员…），按学号排序，"
    "末尾追加了 2 条（重复录入 1 条、录取数据中没有的 1 条）。含生僻字“䶮”，因此用 GB18030 编码写入"
    "（代码页标记仍为 0x4D）。",
    FILE_STATES_10: "学历类别 10 新生入学状态名单，**本次上传前**从平台下载：学校已设置状态的新生——未注册的保留入学资格 / "
    "放弃入学资格 / 取消入学资格，以及注册上报中平台已有状态的 3 名（2 名第一批已报到入学、1 名已放弃入学资格，核对时各有自己的结果）；"
    "其余新生还没有状态，不在名单中（有 2 名未注册的新生也不在名单中：状态未知）。",
    FILE_ADMISSION_50: "学历类别 50（成人本专科）录取数据：专科起点本科、高中起点本科、高中起点专科；学习形式 函授/业余/脱产。"
    "成人高考考生号第 9 位：5 专升本、4 高起本/高起专（本样例的约定）。",
    FILE_REGISTRATION_50: "学历类别 50 注册上报（学信网上传结构）。",
    PHOTO_DIR: "照片目录（图像校对）：只有 10_注册上报.dbf 中班号 {classes} 两个班的 {members} 名学生有照片，"
    "按身份证号命名（<身份证号>.jpg，358×441 像素，约 10 KB，深蓝色背景），按通知要求存入以“xx级xxx班”为名的班级文件夹"
    "（2026级软件2601班/、2026级软件2602班/）。核对照片时请用这两个班的名单，限值用默认值（358×441 像素以上、2 MB 以内、深蓝色背景）。",
    FILE_REGISTRATION_LATE: "学历类别 10 补报的新生注册上报：约 30 名晚注册的新生（人物与其他文件不重复），由老师用手工旧模板做成："
    "缺少标准结构中的选填字段 ZZMM、FY、XSH（平台“不能少字段”，整个文件不能上传，`xueji validate` 退出码 1），"
    "考生号字段为 C14（比标准 C18 窄）、学号字段为 C30（比标准 C15 宽），多了字段 SSH（宿舍号，平台允许）。"
    "版式按字段认定为 chsi_registration（与它差得最少），也可以用 `--layout chsi_registration` 指定。",
    FILE_HEI_ROSTER_OLD: "学校自己的在籍学生名单（2026 年秋季学期）：10_注册上报.dbf 中 计科2601、软件2601 两个班的学生"
    "（没有预置问题的记录），表头为注册上报字段的中文名。",
    FILE_HEI_ROSTER_NEW: "同两个班 2027 年春季学期的在籍学生名单：与 2026秋 比较有休学、退学、保留学籍（参军）、"
    "无异动记录的减少、转专业、复学和在校生改名。",
    FILE_HEI_CHANGES: "2027 年春季学期高校学籍异动名单（版式 hei_changes，异动类别按高校学籍异动代码 xjyd_gx 填汉字），"
    "以学号、考生号对应学生。",
    FILE_ROSTER_OLD: "示范县（虚构县名，行政区划代码借用真实的 430121）8 所学校（小学 4、初中 2、高中 2）2025 年秋季学期学生名单，"
    "全国中小学生学籍系统导入模板的表头。示范县第二高级中学 的 性别、民族 填的是汉字（男/女、汉族），其余学校填代码。",
    FILE_ROSTER_NEW: "同一县 2026 年春季学期学生名单：与 2025秋 比较有流失、转出、转入、调班、字段变化、重复学籍；"
    "有一个身份证件号单元格被 Excel 存成了数值。",
    FILE_ROSTER_CSV: "2026春 学生名单中 4 所小学部分的 CSV 副本（GBK 编码、逗号分隔、CRLF 换行，表头同模板），"
    "被 Excel 损坏的身份证件号在这里是科学计数法文本。",
    FILE_CHANGES: "2026 年春季学期学籍异动名单（转出、转入、退学、死亡、休学、复学），异动类别填汉字。",
    FILE_GRADUATES: "2026 届毕业生：2026春 名单中的小学六年级和初三学生。",
    FILE_GRADUATES_FIX: "毕业后学校报来的 2026 届毕业生更正名单：同一批毕业生，其中 1 人改了姓名、1 人改了出生日期（毕业生的这些变更不予接受），"
    "1 人换了联系电话（一般变化）。用 `xueji compare k12/毕业生_2026.xlsx k12/毕业生_2026_更正.xlsx --graduates` 对比。",
    FILE_INTAKE: "2026 年秋季下一学段新生：全县初中的初一新生和高中的高一新生（含县外来的新生），"
    "用来核对小升初、初升高的去向。",
    # issue 16: the county's autumn 2026 学籍核查 collection (k12_check)
    FILE_CHECK_PRIMARY: "2026 年秋季学籍核查：示范县第三小学（虚构，学校标识码 2143012911）报给教育局的工作簿，全国中小学生学籍模板的表头；"
    "按通知“在校学生和离校学生(休学、对外交流等)需分开填写(在表格中sheet1和sheet2)”，工作表“在校”为在校学生，"
    "工作表“离校”（第 1 行为标题，第 2 行为表头，另有 备注 列：休学、借读）为离校学生。读取时两个工作表合并为一份名单"
    "（读取提示 SHEETS_COMBINED，“工作表”列说明来源）；**行号为合并后名单中的序号**：“在校”在前、“离校”在后，"
    "“在校”第 r 行在 Excel 中是第 r+1 行，“离校”的学生在 Excel 中是第 r−（在校人数）+2 行。预置了港澳台学生的替代号码、"
    "临时号码、无身份证号学生、全角班内学号、邮政编码/家庭地址/学校标识码格式、学校名称不一致，以及同一学生重复录入（本校和跨校）。",
    FILE_CHECK_MIDDLE: "2026 年秋季学籍核查：示范县实验中学（虚构初中，学校标识码 2143012912）的工作簿，结构同上（“离校”工作表的备注："
    "对外交流、休学）。预置了回乡证号码填在居民身份证下、无身份证号学生、小写学籍辅号、无法拨通的电话，以及同一学生重复录入"
    "（身份证号一位不同、相邻两位颠倒；另有一名初一学生仍在第三小学的六年级名单中）。两所学校合起来用 `xueji dupes` 查疑似重复学生。",
}


# The result codes used in planted.csv's ``expected`` column, with what each means (README legend).
EXPECTED_NOTES = {
    "validate:SFZH_CHECKSUM": "身份证号（证件号）校验位错误",
    "validate:SFZH_BIRTH_MISMATCH": "身份证号中的出生日期与出生日期字段不一致",
    "validate:SFZH_SEX_MISMATCH": "身份证号第 17 位（奇男偶女）与性别不一致",
    "validate:SFZH_BIRTH_INVALID": "身份证号中的出生日期不是有效日期",
    "validate:SFZH_AREA_UNKNOWN": "身份证号地址码的省级代码不存在",
    "validate:SFZH_LOWER_X": "末位校验码为小写 x",
    "validate:SFZH_FULLWIDTH": "号码中有全角字符",
    "validate:SFZH_SPACE": "号码中间或末尾有空格",
    "validate:SFZH_15": "15 位旧身份证号（报告并给出 18 位号码）",
    "validate:SFZH_DUPLICATE": "同一文件中身份证号重复（每一条都报）",
    "validate:KSH_DUPLICATE": "同一上报文件中考生号重复（每一条都报）",
    "validate:KSH_SPECIAL": "特殊类别考生号（学校编制，最长 18 位）：提示，不是错误",
    "validate:REQUIRED_EMPTY": "必填字段为空",
    "validate:XM_PLACEHOLDER": "姓名中有 ? 占位（字库缺字）",
    "validate:XM_INVALID_CHAR": "姓名含数字或拉丁字母",
    "validate:XM_SPACE": "姓名中间有空格",
    "validate:CODE_INVALID": "代码或名称不在代码表中",
    "validate:CODE_DEPRECATED": "旧名称（如 毛难族），接受但提示",
    "validate:DATE_INVALID": "日期不是有效日期",
    "validate:XXXS_CATEGORY": "学习形式与学历类别不符",
    "validate:XJH_G_MISMATCH": "G 学籍号与身份证件号不一致",
    "validate:XJH_J_CHECKSUM": "J 学籍号校验位错误",
    "validate:DUP_NAME_SEX_BIRTH": "无证件号学生 姓名+性别+出生日期 重复",
    "validate:AGE_GRADE_UNDER": "一年级学生到 8 月 31 日未满 6 周岁",
    "validate:SFZJLX_MISMATCH": "身份证件类型与证件号不符",
    "validate:STRUCT_MISSING_OPTIONAL": "DBF 缺少标准结构中的（选填）字段：整个文件不能上传（文件级，行号为空）",
    "validate:STRUCT_FIELD_WIDTH": "字段宽度与标准结构不同，值都放得下：提示（文件级）",
    "validate:STRUCT_FIELD_OVERFLOW": "字段比标准结构宽，有值放不进标准宽度：错误（文件级）",
    "validate:STRUCT_EXTRA_FIELD": "多出标准结构没有的字段：平台允许，只作提示（文件级）",
    "validate:FIELD_TOO_LONG": "值超出上传字段宽度（GBK 字节）",
    "validate:FIELD_FULLWIDTH": "代码、学号等字段含全角数字或字母",
    "validate:FIELD_LOWERCASE": "代码、班号等字段含小写字母",
    # issue 16, K-12 half (k12_check)
    "validate:SFZH_SUBSTITUTE": "证件号是替代号码（港澳台 11113+学号、999+学校代码+流水号临时号码、回乡证等）：提示，不是错误的身份证号",
    "validate:SFZH_MISSING": "证件类型为居民身份证（或未填）而身份证件号为空：列入无身份证号学生名单",
    "validate:FIELD_FORMAT": "字段格式不对（邮政编码 6 位、电话可拨通、家庭地址写明省县、学校标识码 10 位）",
    "validate:CODE_NAME_MISMATCH": "学校标识码与学校名称和其他记录不一致",
    "validate:OK": "这一行不应报任何问题",
}


def _md_cell(v: object) -> str:
    return str(v).replace("|", "\\|").replace("\n", " ")


def _readme(inventory: list[tuple[str, str, int, str]], planted: pd.DataFrame, seed: int, notes: dict) -> str:
    """The README text: ``inventory`` (file, layout, records, encoding) in the order written, ``planted``
    (sorted, the columns of planted.csv), ``notes`` replacing entries of FILE_NOTES."""
    counts = planted["expected"].value_counts().sort_index()
    lines = (
        _readme_intro(seed)
        + _readme_files(inventory, notes)
        + _readme_planted_legend()
        + _readme_counts(counts)
        + _readme_rule_codes(counts)
        + _readme_details(planted)
        + _readme_regenerate(seed)
    )
    return "\n".join(lines)


def _readme_intro(seed: int) -> list[str]:
    """Title, where the folder comes from, what the people are, the generation parameters, the table head."""
    return [
        "# data_samples — 合成样例数据",
        "",
        "> **本目录由 `xueji_lib/samples/`（样例生成器）生成，请勿手工修改。** 修改生成器后运行 `xueji samples --out data_samples`"
        "（或 `make samples`）重新生成；测试 `tests/test_synth.py` 会检查本目录与生成器的输出逐字节一致。",
        "",
        "这里的文件采用真实的文件格式（学信网 DBF、全国中小学生学籍系统 Excel 模板），但**所有人物都是程序随机生成的，"
        "不含任何真实个人信息**：姓名、出生日期、身份证号顺序码、地址、电话都是随机的（电话号码可能碰巧与真实号码相同，"
        "请勿拨打）。行政区划代码是真实的县级代码，身份证号的校验位正确，所以干净记录能通过全部校验；"
        f"学校（{SCHOOL_NAME}、示范县各中小学）是虚构的。",
        "",
        f"生成参数：种子 `{seed}`；DBF 文件头日期固定为 {DBF_DATE:%Y-%m-%d}，Excel 创建时间固定为 {XLSX_DATE:%Y-%m-%d}，"
        "同一种子在任何机器上生成的文件逐字节相同。",
        "",
        "## 文件一览",
        "",
        "| 文件 | 版式（layout） | 记录数 | 编码 | 说明 |",
        "|---|---|---:|---|---|",
    ]


def _readme_files(inventory: list[tuple[str, str, int, str]], notes: dict) -> list[str]:
    """One table row per file written."""
    fmt = {"school": SCHOOL_NAME, "code": SCHOOL_CODE, "year": YEAR}
    lines = []
    for f, layout, n, enc in inventory:
        key = f.rstrip("/")
        note = notes.get(key, FILE_NOTES.get(key, "")).format(**fmt)
        lines.append(f"| `{f}` | {layout} | {n} | {enc} | {_md_cell(note)} |")
    return lines


def _readme_planted_legend() -> list[str]:
    """How planted.csv is laid out and what its ``expected`` results mean; the head of the count table."""
    return [
        "",
        "记录数：DBF 为有效记录数（样例中没有删除标记的记录），Excel/CSV 为数据行数（不含表头），照片目录为文件数。",
        "",
        "## 预置问题（`planted.csv`）",
        "",
        "`planted.csv`（UTF-8 带 BOM，Excel 可直接打开）每行是一个预置问题在某个文件中的一处表现，列为：",
        "",
        "- `file`：文件（照片问题为照片文件本身）；",
        "- `row`：行号，从 1 开始——DBF 为有效记录中的序号，Excel/CSV 为数据行序号（不含表头，即 Excel 中看到的行号减 1）；"
        "照片文件和整个文件的问题（文件结构）为空；",
        "- `key`：该行的考生号（高校）或学籍号（中小学）；",
        "- `field`：有问题的字段代码；",
        "- `problem_code`：预置的是哪种问题；",
        "- `expected`：正确的工具必须报告什么，格式为 `工具:结果`：",
        "  - `validate:规则代码` —— 校验（`xueji validate`）应在这一行报告该规则；`validate:OK` 表示这一行**不应**报任何问题；",
        "  - `reconcile:状态` —— 录取与注册核对（`xueji reconcile`）这一行的状态；`not_registered/状态` 中斜杠后为新生状态"
        "（`none` 表示不在状态名单中）；",
        "  - `compare:结果` —— 2025秋 与 2026春 名单对比（`xueji compare`，以学籍号为主键，异动名单为 `学籍异动_2026春.xlsx`）；"
        "`removed_explained/转出` 等斜杠后为解释它的异动类别；高校的 `hei/在籍学生_2026秋.xlsx` 与 `hei/在籍学生_2027春.xlsx`"
        "以学号为主键对比（`xueji compare … --key XH --changes hei/学籍异动_2027春.xlsx`），`moved_explained/转专业` 为"
        "异动名单说明的调动，`changed/evidence` 为须提交证明材料的信息变化（在校生改名）；`k12/毕业生_2026_更正.xlsx` 与 "
        "`k12/毕业生_2026.xlsx` 按毕业生名单对比（`--graduates`），`changed/not_accepted` 为不予接受的毕业生姓名、出生日期变更，"
        "`changed/ordinary` 为一般变化；",
        "  - `handoff:not_enrolled` —— 毕业生在下一学段新生名单中找不到；",
        "  - `dupes:种类` —— 疑似同一学生（`xueji dupes`，把 `k12/核查_2026秋/` 的两个工作簿一起查）：这一行与同一问题代码的另一行"
        "是一对，种类为 `one_digit`（身份证号仅一位不同）、`swap`（相邻两位颠倒）、`one_missing`（一条没有身份证号）、"
        "`same_id_other_name`（身份证号相同、姓名不同）；`read:SHEETS_COMBINED` —— 读取时报告几个工作表合并为一份名单（文件级，行号为空）。"
        "`k12/核查_2026秋/` 的工作簿有“在校”“离校”两个工作表，行号是两个工作表合并后名单中的序号（“在校”在前），与 `xueji validate` 的行号相同；",
        "  - `photo:…` —— 照片核对；`read:EXCEL_NUMBER_DAMAGED` —— 读取表格时（`read_table` 的读取提示）就应报告的损坏；",
        "- `description_zh`：问题说明。",
        "",
        "同一条记录可以有几行（例如重复录入的记录既是 `KSH_DUPLICATE` 又是 `duplicate_key`）。**没有列在这里的记录都是干净的**："
        "校验不应报错，核对结果为 matched，对比结果为 unchanged，毕业生都能在新生名单中找到。",
        "",
        "### 按结果汇总",
        "",
        "| 结果 | 处数 |",
        "|---|---:|",
    ]


def _readme_counts(counts: pd.Series) -> list[str]:
    """Planted problems counted by expected result."""
    lines = []
    for k, v in counts.items():
        lines.append(f"| `{k}` | {v} |")
    return lines


def _readme_rule_codes(counts: pd.Series) -> list[str]:
    """The validation rule codes the samples use, with their meaning."""
    lines = [
        "",
        "### 校验规则代码",
        "",
        "`validate:` 后面的规则代码是本样例约定的代码，校验模块应使用同样的代码（若改名，请同时改生成器）：",
        "",
        "| 代码 | 含义 |",
        "|---|---|",
    ]
    for k, v in EXPECTED_NOTES.items():
        if k in counts.index:
            lines.append(f"| `{k.split(':', 1)[1]}` | {v} |")
    return lines


def _readme_details(planted: pd.DataFrame) -> list[str]:
    """Every planted problem, one table row each."""
    lines = ["", "### 明细", "", "| 文件 | 行 | 键 | 字段 | 问题 | 应报告 | 说明 |", "|---|---:|---|---|---|---|---|"]
    for r in planted.itertuples(index=False):
        lines.append(
            f"| `{r.file}` | {r.row} | {_md_cell(r.key)} | {r.field} | {r.problem_code} | `{r.expected}` | "
            f"{_md_cell(r.description_zh)} |"
        )
    return lines


def _readme_regenerate(seed: int) -> list[str]:
    """How to regenerate the folder; the English note."""
    return [
        "",
        "## 重新生成",
        "",
        "```sh",
        "xueji samples --out data_samples      # 或：make samples",
        "```",
        "",
        "```python",
        "from xueji_lib.samples.synth import write_samples",
        f'write_samples("data_samples", seed={seed})',
        "```",
        "",
        "基准测试用的大文件（不提交）：`synth.write_registration_dbf(1_000_000, path)`、"
        "`synth.make_registration_pair(1_000_000)`、`synth.make_roster_pair(1_000_000)`。",
        "",
        "## English note",
        "",
        "Synthetic samples written by `xueji_lib.samples.synth.write_samples` (seed above); do not edit by hand. Every "
        "person is invented: real county area codes and valid GB 11643 check digits, random everything else. "
        "`planted.csv` lists every deliberately planted problem with the row it is in and what a correct tool "
        "must report (`validate:<RULE>`, `reconcile:<status>`, `compare:<result>`, `handoff:…`, `photo:…`, `read:…`); "
        "records not listed are clean. `tests/test_synth.py` re-derives each defect independently and checks that "
        "this folder equals a fresh `write_samples` run.",
        "",
    ]
