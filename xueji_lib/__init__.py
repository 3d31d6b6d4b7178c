"""xueji_lib: load, check, reconcile and report on 学籍 (student-status) files.

    >>> import xueji_lib as xj
    >>> df = xj.read_dbf("data_samples/hei/10_录取名单.dbf")     # doctest: +SKIP
    >>> print(xj.load_report(df).summary())                      # doctest: +SKIP
"""
from .codes import CodeEntry, CodeTable, list_code_tables, load_code_table, province_of
from .dbf import inspect_dbf, read_dbf, write_dbf
from .errors import (FileFormatError, LayoutError, MemoFileMissing, TruncatedFileError, WriteError,
                     XuejiError)
from .layouts import Layout, LayoutField, list_layouts, load_layout, recognize_layout
from .tables import read_table, write_excel
from .loadinfo import FieldSpec, LoadReport, LoadWarning, load_report
from .validate import ValidationResult, load_rules, validate
from .outputs import write_validation_outputs
from .photos import PhotoFolderNotFound, PhotoResult, check_photos
from .reconcile import ReconcileResult, reconcile
from .compare import CompareResult, HandoffResult, compare, handoff
from .stats import StatsInputError, StatsResult, higher_ed_stats, k12_stats
from .report import REPORTS, ReportRun, check_parameters, run_report
from .parquet import (ParquetConversion, ParquetConversionError, ParquetCountError, dbf_to_parquet,
                      read_parquet_folder)

__version__ = "0.1.0"

__all__ = [
    "XuejiError", "FileFormatError", "TruncatedFileError", "MemoFileMissing", "WriteError", "LayoutError",
    "Layout", "LayoutField", "list_layouts", "load_layout", "recognize_layout",
    "validate", "ValidationResult", "load_rules", "write_validation_outputs",
    "check_photos", "PhotoResult", "PhotoFolderNotFound",
    "reconcile", "ReconcileResult", "compare", "CompareResult", "handoff", "HandoffResult",
    "higher_ed_stats", "k12_stats", "StatsResult", "StatsInputError",
    "run_report", "check_parameters", "ReportRun", "REPORTS",
    "LoadReport", "LoadWarning", "FieldSpec", "load_report",
    "read_dbf", "write_dbf", "inspect_dbf",
    "dbf_to_parquet", "read_parquet_folder", "ParquetConversion", "ParquetConversionError", "ParquetCountError",
    "read_table", "write_excel",
    "CodeEntry", "CodeTable", "load_code_table", "list_code_tables", "province_of",
]
