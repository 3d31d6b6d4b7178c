"""Deterministic synthetic 学籍 data: the committed samples in ``data_samples/`` and million-row files for
benchmarks.

Every person here is invented. Area codes are real GB/T 2260 county codes and ID numbers carry valid
GB 11643 check digits (so that clean records pass every check), but the names, dates, sequence numbers,
addresses and phone numbers are drawn at random from a seeded ``numpy`` generator: the same seed gives
byte-identical files, on any machine with the pinned stack. People are generated as arrays, never with a
Python loop per person, so the same code makes 2,000 students or 10,000,000.

    >>> from xueji_lib import synth
    >>> adm, reg = synth.make_registration_pair(1000, seed=1)      # ~3 % planted differences
    >>> len(adm), sorted(reg.attrs["planted"])[:2]                  # doctest: +SKIP
    (1000, ['duplicate_key', 'key_field'])
    >>> synth.write_samples("data_samples")                         # doctest: +SKIP

The committed samples and the list of problems planted in them (``data_samples/planted.csv``, also
rendered into ``data_samples/README.md``) are written by :func:`write_samples`; the later checks
(validation, reconciliation, roster comparison, photo checks) are tested against that list.

This module is the generator's front door: everything is made in the modules beside it and named here.

- ``vocabulary``: the fixed parameters and the vocabularies (counties, names, majors, schools);
- ``arrays``: vectorised string and date helpers; ``people``: ``make_people`` (names, IDs) and K-12 person details;
- ``planted``: the planted-problem register (``planted.csv`` rows) and the supply of clean victims;
- ``hei_records`` and ``hei``: the university's records and its sample DBFs (``make_hei``);
- ``k12_roster``, ``k12_terms`` and ``k12``: the county's rosters, what happens between the terms, the
  change list, graduates and intake (``make_k12``);
- ``photos``: the photo folder (``make_photos``);
- ``scale``: the benchmark inputs (``make_registration_frame``, ``make_registration_pair``,
  ``write_registration_dbf``, ``make_roster_pair``);
- ``readme`` and ``write``: the samples' README and ``write_samples`` / ``main_samples``
  (``python -m xueji_lib.samples.synth --out data_samples``).
"""

from __future__ import annotations

from .hei import (
    FILE_ADMISSION_10,
    FILE_ADMISSION_50,
    FILE_REGISTRATION_10,
    FILE_REGISTRATION_50,
    FILE_STATES_10,
    PHOTO_CLASSES,
    HeiSample,
    make_hei,
)
from .hei_records import ADMISSION_COLUMNS, REGISTRATION_COLUMNS, STATUS_COLUMNS
from .k12 import make_k12
from .k12_roster import (
    CHANGE_FIELDS,
    COMPOUND_SURNAMES,
    FILE_CHANGES,
    FILE_GRADUATES,
    FILE_INTAKE,
    FILE_ROSTER_CSV,
    FILE_ROSTER_NEW,
    FILE_ROSTER_OLD,
    JG_TEXT,
    K12_FIELDS,
    K12_YZBM,
    TERM_YEAR,
    K12Sample,
)
from .people import make_people
from .photos import PHOTO_DIR, PHOTO_SIZE, make_photos
from .planted import PLANTED_COLUMNS
from .readme import EXPECTED_NOTES, FILE_NOTES
from .scale import (
    PAIR_MIX,
    make_registration_frame,
    make_registration_pair,
    make_roster_pair,
    write_registration_dbf,
)
from .scale import _national_areas as _national_areas  # tests draw people from every county with it
from .vocabulary import (
    AREAS,
    COUNTY_TEXT,
    DBF_DATE,
    GIVEN_FEMALE,
    GIVEN_MALE,
    HMT_AREAS,
    K12_COUNTY,
    K12_MIGRANT,
    K12_NEARBY,
    K12_SCHOOLS,
    MAJORS_10,
    MAJORS_50,
    MIDDLE_DOT,
    MZ_LABEL,
    MZ_P_HEI,
    MZ_P_K12,
    MZ_REGION,
    RARE_FEMALE,
    RARE_MALE,
    RARE_OUTSIDE_GBK,
    SAMPLE_SEED,
    SCHOOL_CODE,
    SCHOOL_NAME,
    SCHOOL_ZSB_FROM,
    STAGE_GRADES,
    STATIONS_50,
    STREETS,
    SURNAME_P,
    SURNAMES,
    TOWNS,
    TYPO,
    UYGHUR_FATHER,
    UYGHUR_FEMALE,
    UYGHUR_MALE,
    VILLAGES,
    XLSX_DATE,
    XXXS_50,
    YEAR,
    ZZMM_LABEL,
)
from .write import FILE_ORDER, SHEET_NAMES, main_samples, write_samples

__all__ = [
    # the generators
    "SAMPLE_SEED",
    "make_people",
    "make_registration_frame",
    "make_registration_pair",
    "write_registration_dbf",
    "make_roster_pair",
    "make_hei",
    "make_k12",
    "make_photos",
    "write_samples",
    "main_samples",
    "HeiSample",
    "K12Sample",
    # the sample files and their columns
    "FILE_ADMISSION_10",
    "FILE_REGISTRATION_10",
    "FILE_STATES_10",
    "FILE_ADMISSION_50",
    "FILE_REGISTRATION_50",
    "PHOTO_DIR",
    "PHOTO_CLASSES",
    "PHOTO_SIZE",
    "FILE_ROSTER_OLD",
    "FILE_ROSTER_NEW",
    "FILE_ROSTER_CSV",
    "FILE_CHANGES",
    "FILE_GRADUATES",
    "FILE_INTAKE",
    "FILE_ORDER",
    "FILE_NOTES",
    "SHEET_NAMES",
    "ADMISSION_COLUMNS",
    "REGISTRATION_COLUMNS",
    "STATUS_COLUMNS",
    "K12_FIELDS",
    "CHANGE_FIELDS",
    "PLANTED_COLUMNS",
    "EXPECTED_NOTES",
    "PAIR_MIX",
    # parameters and vocabularies
    "DBF_DATE",
    "XLSX_DATE",
    "YEAR",
    "TERM_YEAR",
    "AREAS",
    "HMT_AREAS",
    "K12_COUNTY",
    "K12_NEARBY",
    "K12_MIGRANT",
    "SURNAMES",
    "SURNAME_P",
    "COMPOUND_SURNAMES",
    "GIVEN_MALE",
    "GIVEN_FEMALE",
    "RARE_MALE",
    "RARE_FEMALE",
    "RARE_OUTSIDE_GBK",
    "TYPO",
    "UYGHUR_MALE",
    "UYGHUR_FEMALE",
    "UYGHUR_FATHER",
    "MIDDLE_DOT",
    "MZ_LABEL",
    "MZ_REGION",
    "MZ_P_HEI",
    "MZ_P_K12",
    "ZZMM_LABEL",
    "SCHOOL_CODE",
    "SCHOOL_NAME",
    "SCHOOL_ZSB_FROM",
    "MAJORS_10",
    "MAJORS_50",
    "XXXS_50",
    "STATIONS_50",
    "K12_SCHOOLS",
    "STAGE_GRADES",
    "TOWNS",
    "STREETS",
    "VILLAGES",
    "COUNTY_TEXT",
    "JG_TEXT",
    "K12_YZBM",
]

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main_samples())
