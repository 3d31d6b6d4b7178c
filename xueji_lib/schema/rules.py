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

import yaml

__all__ = ["Rule", "load_rules", "RULES_FILE", "SEVERITY_ZH", "SEVERITY_ORDER", "template_text"]

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
    data = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {code: Rule(code, v["severity"], v["message"], v.get("hint", "")) for code, v in data.items()}


def template_text(text: str) -> str:
    """A rule's message or hint with its placeholders as readable words (〈字段〉, 〈值〉 …)."""
    return (
        text.replace("{name}", "〈字段〉")
        .replace("{field}", "〈字段代码〉")
        .replace("{value}", "〈值〉")
        .replace("{detail}", "〈详情〉")
    )
