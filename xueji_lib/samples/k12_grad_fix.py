"""毕业生信息更正 (issue 16 §9): a school's corrected list of its 2026 graduates, sent to the bureau after
graduation — the same graduates as ``k12/毕业生_2026.xlsx``, three of them changed: a 姓名 and a 出生日期 (which
004 says are not accepted for graduates: "本次不接受毕业生的姓名、性别、身份证、出生日期信息的变更", "学生在毕业后
发生的姓名、身份证号变更,不允许再进行更改") and a 联系电话 (an ordinary change). Compared with
``xueji compare 毕业生_2026.xlsx 毕业生_2026_更正.xlsx --graduates``.

    >>> fix, plant = make_grad_fix(make_k12())                                    # doctest: +SKIP
    >>> [p[3] for p in plant.items]                                               # doctest: +SKIP
    ['grad_name_fix', 'grad_birth_fix', 'grad_phone_fix']

The records changed are clean graduates (nothing else planted on them) drawn from their own seeded stream
(``[seed, 16, 3]``), so the other sample files do not change.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .k12_roster import FILE_GRADUATES, K12Sample
from .planted import _Planted
from .vocabulary import SAMPLE_SEED

FILE_GRADUATES_FIX = "k12/毕业生_2026_更正.xlsx"


def make_grad_fix(k12: K12Sample, seed: int = SAMPLE_SEED) -> tuple[pd.DataFrame, _Planted]:
    """The corrected graduate list (record ids as in ``k12.files[FILE_GRADUATES]``) and its planted changes."""
    rng = np.random.default_rng([seed, 16, 3])
    grads = k12.files[FILE_GRADUATES]
    dirty = {rid for _, rid, *_ in k12.planted.items if rid is not None}
    clean = grads.index[~grads.index.isin(list(dirty)) & grads["XM"].str.len().ge(2)]
    a, b, c = (clean[i] for i in rng.choice(len(clean), size=3, replace=False))
    fix = grads.copy()
    plant = _Planted()
    F = FILE_GRADUATES_FIX
    # 姓名: a different last character (a family's 改名 after graduation)
    old_name = str(fix.at[a, "XM"])
    new_name = old_name[:-1] + ("欣" if old_name[-1] != "欣" else "悦")
    fix.at[a, "XM"] = new_name
    plant.add(
        F, a, "XM", "grad_name_fix", "compare:changed/not_accepted",
        f"毕业生改名：毕业生名单中为“{old_name}”，更正名单中为“{new_name}”：毕业生的姓名变更不予接受（004），应恢复原值",
    )  # fmt: skip
    # 出生日期: one day later (the ID number still says the old date)
    born = pd.Timestamp(str(fix.at[b, "CSRQ"]))
    new_birth = (born + pd.Timedelta(days=1)).strftime("%Y%m%d")
    plant.add(
        F, b, "CSRQ", "grad_birth_fix", "compare:changed/not_accepted",
        f"毕业生的出生日期由 {fix.at[b, 'CSRQ']} 改为 {new_birth}：毕业生的出生日期变更不予接受（004）",
    )  # fmt: skip
    fix.at[b, "CSRQ"] = new_birth
    # 联系电话: a new mobile number (an ordinary change, even for a graduate)
    phone = "139" + "".join(str(d) for d in rng.integers(0, 10, size=8))
    plant.add(
        F, c, "LXDH", "grad_phone_fix", "compare:changed/ordinary",
        "毕业生的联系电话换了新号码：一般变化，可以更正",
    )  # fmt: skip
    fix.at[c, "LXDH"] = phone
    return fix, plant
