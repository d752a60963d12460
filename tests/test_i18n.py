"""The catalogue (every file, both languages, same placeholders, every key the code uses)
and locale formatting, checked against exact strings."""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from terrain import ROOT, auth, filters, i18n, roles
from terrain.i18n import (format_date, format_decimal, format_month, format_number,
                          format_percent, format_period, label, t)

NNBSP = "\u202f"  # narrow no-break space: French thousands separator (CLDR)
NBSP = "\u00a0"   # no-break space: French space before "%"


# --- the catalogue -----------------------------------------------------------------------

def test_every_locales_file_has_both_languages_and_the_same_placeholders():
    entries = i18n.load_catalogue()
    assert i18n.problems(entries) == []
    assert {key.split(".")[0] for key in entries} == {p.stem for p in i18n.LOCALES_DIR.glob("*.toml")}


@pytest.mark.parametrize("toml, problem", [
    ('[x]\nfr = "Bonjour"\n', "area.x: no en text"),
    ('[x]\nfr = "Bonjour"\nen = "  "\n', "area.x: no en text"),
    ('[x]\nfr = "{n} nuits"\nen = "{count} nights"\n',
     "area.x: placeholders differ between languages: fr ['n']; en ['count']"),
    ('[x]\nfr = "{} nuits"\nen = "{} nights"\n', "area.x: placeholders must be named, like {n}"),
    ('[x]\nfr = "{0} nuits"\nen = "{0} nights"\n', "area.x: placeholders must be named, like {n}"),
    ('[x.y]\nen = "Hello"\n', "area.x.y: no fr text"),
])
def test_problems_names_the_key_and_what_is_wrong(tmp_path, toml, problem):
    (tmp_path / "area.toml").write_text(toml, encoding="utf-8")
    assert i18n.problems(i18n.load_catalogue(tmp_path)) == [problem]


def test_nested_and_inline_tables_flatten_to_dotted_keys(tmp_path):
    (tmp_path / "winter.toml").write_text(
        '[level]\nfr = "Niveau"\nen = "Level"\n'
        'grand_froid = { fr = "Grand froid", en = "Severe cold" }\n'
        '[level.froid_extreme]\nfr = "Froid extrême"\nen = "Extreme cold"\n', encoding="utf-8")
    assert i18n.load_catalogue(tmp_path) == {
        "winter.level": {"fr": "Niveau", "en": "Level"},
        "winter.level.grand_froid": {"fr": "Grand froid", "en": "Severe cold"},
        "winter.level.froid_extreme": {"fr": "Froid extrême", "en": "Extreme cold"},
    }


@pytest.mark.parametrize("toml, message", [
    ('[x]\nfr = "Bonjour"\nde = "Hallo"\n', "'area.x' has text under 'de'"),
    ('[x]\nfr = 3\n', "'area.x.fr' is int"),
    ('[x]\nfr = "a"\n[x]\nen = "b"\n', "area.toml"),
])
def test_a_malformed_file_is_refused_with_its_name(tmp_path, toml, message):
    (tmp_path / "area.toml").write_text(toml, encoding="utf-8")
    with pytest.raises(i18n.CatalogueError, match=re.escape(message)):
        i18n.load_catalogue(tmp_path)


def _enum_types() -> dict[str, list[str]]:
    schema = (ROOT / "terrain" / "schema.sql").read_text(encoding="utf-8")
    return {name: re.findall(r"'([^']*)'", values)
            for name, values in re.findall(r"CREATE TYPE (\w+) AS ENUM \((.*?)\);", schema, re.S)}


def test_every_enum_value_of_the_schema_has_a_label_in_both_languages():
    types = _enum_types()
    assert len(types["diagnosis_group"]) == 20 and "plan_level" in types
    missing = [f"{category}.{value}" for category, values in types.items() for value in values
               for lang in i18n.LANGUAGES
               if f"common.{category}.{value}" not in i18n.catalogue()]
    assert missing == []


# Every literal key the code passes to t() (or to ui.tr(), exports._both()), every literal
# label(category, value) call, and any other "common.…" literal.
_T_CALL = re.compile(r"""\b(?:t|tr|_both)\(\s*(['"])([a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_+\-]+)+)\1""")
_LABEL_CALL = re.compile(r"""\blabel\(\s*(['"])([a-z_]+)\1\s*,\s*(['"])([A-Za-z0-9_+\-]+)\3""")
_COMMON_LITERAL = re.compile(r"""(['"])(common\.[A-Za-z0-9_.+\-]*[A-Za-z0-9_+\-])\1""")


def _keys_used_in_code() -> set[str]:
    sources = [*ROOT.glob("*.py"), *(ROOT / "terrain").rglob("*.py"), *(ROOT / "pages").rglob("*.py")]
    used = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        used |= {match[2] for match in _T_CALL.finditer(text)}
        used |= {f"common.{match[2]}.{match[4]}" for match in _LABEL_CALL.finditer(text)}
        used |= {match[2] for match in _COMMON_LITERAL.finditer(text)}
    return used


def test_every_key_used_in_the_code_is_in_the_catalogue():
    used = _keys_used_in_code()
    assert {"common.synthetic_banner", "common.suppressed_note", "common.app_name"} <= used
    assert sorted(used - set(i18n.catalogue())) == []


def _dynamic_keys() -> set[str]:
    """Keys the code builds from other modules' ids (f"common.role.{role}"...)."""
    return ({f"common.role.{role}" for role in roles.ROLES}
            | {f"common.audience.{audience}" for audience in roles.AUDIENCES}
            | {f"common.preset.{preset}" for preset in filters.PRESETS}
            | {f"common.grain_{grain}" for grain in roles.GRAINS}
            | {f"common.language_{lang}" for lang in i18n.LANGUAGES}
            | {f"common.sign_in_{reason}" for reason in auth.REFUSAL_MESSAGES}
            | {f"common.activity.{value}" for value in filters.ACTIVITIES}
            | {f"common.age_band.{value}" for value in filters.AGE_BANDS}
            | {f"common.sex.{value}" for value in filters.SEXES})


def test_keys_built_from_ids_of_other_modules_exist():
    assert sorted(_dynamic_keys() - set(i18n.catalogue())) == []
    assert t("common.language_en", "en") == "English"
    assert t("common.language_fr", "fr") == "Français"


# --- t() and label() ---------------------------------------------------------------------

def test_t_fills_placeholders_in_each_language():
    assert t("common.data_as_of", "fr", date="8 janvier 2024") == "Données au 8 janvier 2024"
    assert t("common.data_as_of", "en", date="8 January 2024") == "Data as of 8 January 2024"
    assert t("common.suppressed_note", "fr", k=11) == (
        f"< 11{NBSP}: moins de 11, ou masqué pour qu'un autre petit nombre ne puisse pas être retrouvé par soustraction{NBSP}; masqué pour protéger les personnes comptées")
    assert t("common.suppressed_note", "en", k=5) == "< 5: fewer than 5, or hidden so that another small number cannot be worked out by subtraction; hidden to protect the people counted"


def test_t_returns_the_text_of_a_key_without_placeholders():
    assert t("common.synthetic_banner", "fr") == (
        "DONNÉES SYNTHÉTIQUES — DÉMONSTRATION. Ces chiffres ne décrivent aucune personne réelle.")
    assert t("common.synthetic_banner", "en") == (
        "SYNTHETIC DATA — DEMONSTRATION. These figures describe no real person.")


def test_unknown_key_raises_key_error_naming_it():
    with pytest.raises(KeyError, match="common.no_such_key"):
        t("common.no_such_key", "fr")


def test_missing_value_and_unknown_language_are_errors():
    with pytest.raises(KeyError, match=r"common.data_as_of needs a value for \{date\}"):
        t("common.data_as_of", "fr")
    with pytest.raises(ValueError, match="Unknown language 'de'"):
        t("common.app_name", "de")


@pytest.mark.parametrize("category, value, fr, en", [
    ("activity", "mental_health", "Santé mentale", "Mental health"),
    ("site_type", "emergency_shelter", "Mise à l'abri d'urgence", "Emergency shelter"),
    ("age_band", "35+", "35 ans et plus", "35 years and over"),
    ("sex", "F", "Féminin", "Female"),
    ("health_coverage", "AME", "AME (aide médicale de l'État)", "AME (State Medical Aid)"),
    ("plan_level", "tres_grand_froid", "Très grand froid", "Very severe cold (très grand froid)"),
    ("diagnosis_group", "skin_infection_scabies", "Infection cutanée, gale", "Skin infection, scabies"),
])
def test_label_names_a_category_value(category, value, fr, en):
    assert (label(category, value, "fr"), label(category, value, "en")) == (fr, en)


def test_label_of_an_unknown_value_raises():
    with pytest.raises(KeyError, match="common.activity.dentistry"):
        label("activity", "dentistry", "fr")


# --- numbers -----------------------------------------------------------------------------

@pytest.mark.parametrize("x, fr, en", [
    (1234567, f"1{NNBSP}234{NNBSP}567", "1,234,567"),
    (999, "999", "999"),
    (0, "0", "0"),
    (-1234, f"-1{NNBSP}234", "-1,234"),
    (2.5, "3", "3"),        # half up, not Babel's half to even
    (1234.4, f"1{NNBSP}234", "1,234"),
    (-0.4, "0", "0"),       # no "-0"
])
def test_format_number(x, fr, en):
    assert (format_number(x, "fr"), format_number(x, "en")) == (fr, en)


@pytest.mark.parametrize("x, digits, fr, en", [
    (1234.56, 1, f"1{NNBSP}234,6", "1,234.6"),
    (0.5, 2, "0,50", "0.50"),
    (0.145, 2, "0,15", "0.15"),
    (7, 1, "7,0", "7.0"),
    (-0.05, 1, "-0,1", "-0.1"),
])
def test_format_decimal(x, digits, fr, en):
    assert (format_decimal(x, "fr", digits=digits), format_decimal(x, "en", digits=digits)) == (fr, en)


@pytest.mark.parametrize("ratio, digits, fr, en", [
    (0.125, 0, f"13{NBSP}%", "13%"),
    (0.1234, 1, f"12,3{NBSP}%", "12.3%"),
    (1.05, 0, f"105{NBSP}%", "105%"),
    (12.5, 0, f"1{NNBSP}250{NBSP}%", "1,250%"),
    (0, 1, f"0,0{NBSP}%", "0.0%"),
])
def test_format_percent(ratio, digits, fr, en):
    assert (format_percent(ratio, "fr", digits=digits), format_percent(ratio, "en", digits=digits)) == (fr, en)


@pytest.mark.parametrize("ratio, options, fr, en", [
    (0.125, {"signed": True}, f"+13{NBSP}%", "+13%"),
    (-0.125, {"signed": True}, f"-13{NBSP}%", "-13%"),
    (0.001, {"signed": True}, f"0{NBSP}%", "0%"),   # rounds to no change: no sign
    (0.034, {"points": True, "signed": True}, f"+3{NBSP}pts", f"+3{NBSP}pp"),
    (-0.0251, {"points": True, "digits": 1}, f"-2,5{NBSP}pts", f"-2.5{NBSP}pp"),
])
def test_format_percent_of_a_change(ratio, options, fr, en):
    assert (format_percent(ratio, "fr", **options), format_percent(ratio, "en", **options)) == (fr, en)


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_a_missing_number_is_not_formatted_as_a_figure(missing):
    with pytest.raises(ValueError, match="No number to format"):
        format_number(missing, "fr")
    with pytest.raises(ValueError, match="No number to format"):
        format_percent(missing, "en")


# --- dates -------------------------------------------------------------------------------

@pytest.mark.parametrize("day, fmt, fr, en", [
    (dt.date(2024, 1, 8), "long", "8 janvier 2024", "8 January 2024"),
    (dt.date(2024, 1, 1), "long", "1er janvier 2024", "1 January 2024"),
    (dt.date(2024, 2, 21), "medium", "21 févr. 2024", "21 Feb 2024"),
    (dt.date(2024, 1, 8), "short", "08/01/2024", "08/01/2024"),
    (dt.datetime(2023, 12, 31, 23, 0), "long", "31 décembre 2023", "31 December 2023"),
])
def test_format_date(day, fmt, fr, en):
    assert (format_date(day, "fr", format=fmt), format_date(day, "en", format=fmt)) == (fr, en)


def test_format_date_refuses_an_unknown_format():
    with pytest.raises(ValueError, match="Unknown date format 'full'"):
        format_date(dt.date(2024, 1, 8), "fr", format="full")


@pytest.mark.parametrize("day, fr, en", [
    (dt.date(2024, 1, 15), "janvier 2024", "January 2024"),
    (dt.date(2023, 8, 1), "août 2023", "August 2023"),
])
def test_format_month(day, fr, en):
    assert (format_month(day, "fr"), format_month(day, "en")) == (fr, en)


@pytest.mark.parametrize("start, end, fr, en", [
    (dt.date(2024, 1, 8), dt.date(2024, 1, 21), "du 8 au 21 janvier 2024", "8–21 January 2024"),
    (dt.date(2024, 1, 1), dt.date(2024, 1, 31), "du 1er au 31 janvier 2024", "1–31 January 2024"),
    (dt.date(2024, 1, 8), dt.date(2024, 2, 3), "du 8 janvier au 3 février 2024",
     "8 January – 3 February 2024"),
    (dt.date(2023, 11, 1), dt.date(2024, 3, 31), "du 1er novembre 2023 au 31 mars 2024",
     "1 November 2023 – 31 March 2024"),
    (dt.date(2024, 3, 1), dt.date(2024, 4, 1), "du 1er mars au 1er avril 2024", "1 March – 1 April 2024"),
    (dt.date(2024, 1, 8), dt.date(2024, 1, 8), "le 8 janvier 2024", "8 January 2024"),
])
def test_format_period(start, end, fr, en):
    assert (format_period(start, end, "fr"), format_period(start, end, "en")) == (fr, en)


def test_format_period_refuses_an_end_before_the_start():
    with pytest.raises(ValueError, match="ends"):
        format_period(dt.date(2024, 2, 1), dt.date(2024, 1, 31), "fr")


@pytest.mark.parametrize("ratio,digits,above", [
    (1.1, 0, True), (1.005, 0, True), (1.004, 0, False),   # 1.004 is shown "100 %": not above it
    (1.0, 0, False), (0.97, 0, False), (1.004, 1, True), (None, 0, False), (float("nan"), 0, False),
])
def test_a_ratio_is_above_100_percent_as_it_is_shown(ratio, digits, above):
    assert i18n.shown_above(ratio, digits=digits) is above
