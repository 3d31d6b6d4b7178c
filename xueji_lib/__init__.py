"""xueji_lib: load, check, reconcile and report on 学籍 (student-status) files.

>>> import xueji_lib as xj
>>> df = xj.read_dbf("data_samples/hei/10_录取名单.dbf")     # doctest: +SKIP
>>> print(xj.load_report(df).summary())                      # doctest: +SKIP
"""

from .checks.photos import PhotoFolderNotFound, PhotoResult, check_photos
from .checks.validate import ValidationResult, load_rules, validate
from .core.errors import (
    FileFormatError,
    InputFileNotFound,
    LayoutError,
    MemoFileMissing,
    TruncatedFileError,
    WriteError,
    XuejiError,
)
from .core.version import __version__ as __version__
from .io.dbf import inspect_dbf, read_dbf, write_dbf
from .io.excel_writer import write_excel
from .io.loadinfo import FieldSpec, LoadReport, LoadWarning, load_report
from .io.parquet import (
    ParquetConversion,
    ParquetConversionError,
    ParquetCountError,
    dbf_to_parquet,
    read_parquet_folder,
)
from .io.tables import read_table
from .matching.compare import CompareResult, HandoffResult, compare, handoff
from .matching.near_dupes import NearDuplicateResult, near_duplicates
from .matching.reconcile import ReconcileResult, reconcile
from .reporting.forms import PrintResult, print_forms
from .reporting.outputs import write_validation_outputs
from .reporting.report import REPORTS, ReportRun, check_parameters, run_report
from .schema.codes import CodeEntry, CodeTable, list_code_tables, load_code_table, province_of
from .schema.layouts import Layout, LayoutField, list_layouts, load_layout, recognize_layout
from .stats.changes_report import ChangesReport, changes_report
from .stats.coverage import CoverageResult, coverage
from .stats.crosstab import CrosstabResult, crosstab, higher_ed_crosstabs, k12_crosstabs
from .stats.statistics import StatsInputError, StatsResult, higher_ed_stats, k12_stats

# Short names for the modules a notebook reaches for (``from xueji_lib import display as xd``, ``xj.ids``),
# imported on first use so that ``import xueji_lib`` stays light.
_MODULES = {
    "display": ".reporting.display",
    "ids": ".core.ids",
    "normalize": ".core.normalize",
    "synth": ".samples.synth",
    "privacy": ".core.privacy",
}


def __getattr__(name: str):
    if name in _MODULES:
        import importlib

        return importlib.import_module(_MODULES[name], __name__)
    raise AttributeError(f"module 'xueji_lib' has no attribute {name!r}")


__all__ = [
    "print_forms",
    "PrintResult",
    "crosstab",
    "k12_crosstabs",
    "higher_ed_crosstabs",
    "CrosstabResult",
    "changes_report",
    "ChangesReport",
    "coverage",
    "CoverageResult",
    "XuejiError",
    "FileFormatError",
    "TruncatedFileError",
    "MemoFileMissing",
    "InputFileNotFound",
    "WriteError",
    "LayoutError",
    "Layout",
    "LayoutField",
    "list_layouts",
    "load_layout",
    "recognize_layout",
    "validate",
    "ValidationResult",
    "load_rules",
    "write_validation_outputs",
    "check_photos",
    "PhotoResult",
    "PhotoFolderNotFound",
    "reconcile",
    "ReconcileResult",
    "compare",
    "CompareResult",
    "handoff",
    "HandoffResult",
    "near_duplicates",
    "NearDuplicateResult",
    "higher_ed_stats",
    "k12_stats",
    "StatsResult",
    "StatsInputError",
    "run_report",
    "check_parameters",
    "ReportRun",
    "REPORTS",
    "LoadReport",
    "LoadWarning",
    "FieldSpec",
    "load_report",
    "read_dbf",
    "write_dbf",
    "inspect_dbf",
    "dbf_to_parquet",
    "read_parquet_folder",
    "ParquetConversion",
    "ParquetConversionError",
    "ParquetCountError",
    "read_table",
    "write_excel",
    "CodeEntry",
    "CodeTable",
    "load_code_table",
    "list_code_tables",
    "province_of",
]
