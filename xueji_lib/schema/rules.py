"""The rule catalogue: every check's stable code, severity and Chinese words, as data
(``xueji_lib/schema/data/rules.yml``), read once.

    >>> from xueji_lib.schema.rules import load_rules, SEVERITY_ZH
    >>> rule = load_rules()["SFZH_CHECKSUM"]
    >>> rule.severity, SEVERITY_ZH[rule.severity]
    ('error', '错误')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .yamlload import safe_load

__all__ = ["Rule", "load_rules", "RULES_FILE", "SEVERITY_ZH", "SEVERITY_ORDER", "template_text", "rule_sentence"]

RULES_FILE = Path(__file__).parent / "data" / "rules.yml"
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}  # the one place severities get their Chinese names


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    message: str
    hint: str


@cache
def load_rules() -> dict[str, Rule]:
    """The rule catalogue (``xueji_lib/schema/data/rules.yml``): code → Rule.

    >>> rule = xj.load_rules()["SFZH_CHECKSUM"]
    >>> rule.severity, rule.message
    ('error', '{name}“{value}”校验位错误')
    """
    data = safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {code: Rule(code, v["severity"], v["message"], v.get("hint", "")) for code, v in data.items()}


def rule_sentence(text: str, name: str = "", field: str = "") -> str:
    """A rule's message as a sentence for a summary (one line per rule, no record's value): ``{name}`` the
    field's Chinese name, ``{field}`` its code, the record-specific parts dropped (“{value}”, （{detail}）) or
    shown as …  — "身份证号在本文件中重复", not "〈字段〉“〈值〉”在本文件中重复（〈详情〉）".

    >>> rule_sentence("{name}“{value}”在本文件中重复（{detail}）", "身份证号")
    '身份证号在本文件中重复'
    >>> rule_sentence("{name}“{value}”前两位与录取年份 {detail} 不符", "考生号")
    '考生号前两位与录取年份 … 不符'
    """
    out = text.replace("“{value}”", "").replace("（{detail}）", "").replace("({detail})", "")
    out = out.replace("{name}", name or "字段").replace("{field}", field or "")
    return out.replace("{value}", "…").replace("{detail}", "…").strip()


def template_text(text: str) -> str:
    """A rule's message or hint with its placeholders as readable words (〈字段〉, 〈值〉 …)."""
    return (
        text.replace("{name}", "〈字段〉")
        .replace("{field}", "〈字段代码〉")
        .replace("{value}", "〈值〉")
        .replace("{detail}", "〈详情〉")
    )
