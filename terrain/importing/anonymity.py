"""The anonymity guard: no name, date of birth, phone number, e-mail, address, identifier or
free text ever enters Terrain's database.

A file is refused when a column is named like personal data, or when a cell looks like it
(an e-mail address, a French or international phone number, a full date in a column that
holds no dates). The guard says which column (and row) and why, never the value itself.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd

# Words of a column name, accents and case removed, by the reason they reveal.
PERSONAL_WORDS = {
    "name": {"nom", "noms", "prenom", "prenoms", "name", "names", "firstname", "lastname", "surname",
             "givenname", "familyname", "fullname", "initiales", "initials", "alias", "pseudo"},
    "birth_date": {"naissance", "dob", "ddn", "birth", "birthdate", "birthday", "datenaissance", "nele", "neele"},
    "phone": {"tel", "telephone", "phone", "mobile", "portable", "gsm", "whatsapp", "cellphone", "numtel"},
    "email": {"email", "mail", "courriel", "emails", "mel"},
    "address": {"adresse", "address", "addr", "rue", "domicile", "street", "postal", "postcode", "zip", "cp"},
    "free_text": {"note", "notes", "commentaire", "commentaires", "comment", "comments", "remarque",
                  "remarques", "observation", "observations", "description", "details", "texte", "text",
                  "libre", "freetext", "motif", "recit", "histoire", "precisions"},
    "identifier": {"patient", "beneficiaire", "dossier", "nir", "secu", "securite", "passport", "passeport",
                   "matricule", "agdref", "ssn", "ofii", "identite", "identity"},
}
# A column about a place or a campaign ("site_name", "nom_du_site") names no person.
PLACE_WORDS = {"site", "sites", "team", "equipe", "campaign", "campagne", "city", "ville", "commune",
               "lieu", "place", "camp", "area", "zone", "centre", "structure", "antigen", "antigene"}

# Words of a column name that announce dates of events, so that its full dates are not taken
# for dates of birth (a column named like a birth date is refused by its name first).
DATE_WORDS = {"date", "dates", "day", "jour", "night", "nuit", "week", "semaine", "month", "mois", "on",
              "le", "starts", "ends", "debut", "fin", "opened", "closed", "ouverture", "fermeture"}

EMAIL = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
# French numbers (06 12 34 56 78, 06.12.34.56.78, +33 6 12 34 56 78, 0033612345678) and
# other international ones (+44 7700 900123).
PHONE = (r"(?<![\d])(?:(?:\+|00)33[\s.-]?(?:\(0\)[\s.-]?)?[1-9](?:[\s.-]?\d{2}){4}"
         r"|0[1-9](?:[\s.-]?\d{2}){4}"
         r"|\+\d{1,3}[\s.-]?\d{1,4}(?:[\s.-]?\d{2,4}){2,4})(?![\d])")
FULL_DATE = r"(?<!\d)(?:\d{1,2}[/.-]\d{1,2}[/.-](?:19|20)\d{2}|(?:19|20)\d{2}-\d{1,2}-\d{1,2})(?!\d)"
VALUE_PATTERNS = {"email": EMAIL, "phone": PHONE}


def words(header: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode("ascii").lower()
    return [w for w in re.split(r"[^a-z0-9]+", plain) if w]


def personal_column(header: str) -> str | None:
    """The reason a column name reveals personal data ("name", "phone"...), or None."""
    parts = words(header)
    if not parts or PLACE_WORDS & set(parts):
        return None
    candidates = set(parts) | {"".join(parts)} | {a + b for a, b in zip(parts, parts[1:])}
    for reason, vocabulary in PERSONAL_WORDS.items():
        if candidates & vocabulary:
            return reason
    return None


def names_dates(header: str) -> bool:
    """Whether a column's name announces dates of events ("night", "date de visite")."""
    return bool(DATE_WORDS & set(words(header)))


def personal_values(distinct: pd.Series, *, dates_expected: bool) -> dict[str, np.ndarray]:
    """Masks (over the distinct cells of a column) of the cells that look like an e-mail,
    a phone number or, in a column that holds no dates, a full date of birth."""
    patterns = dict(VALUE_PATTERNS)
    if not dates_expected:
        patterns["birth_date"] = FULL_DATE
    found = {}
    for reason, pattern in patterns.items():
        hit = distinct.str.contains(pattern, regex=True).to_numpy(dtype=bool, na_value=False)
        if hit.any():
            found[reason] = hit
    return found


def personal_text(text: str) -> str | None:
    """The reason a piece of text (a ragged CSV line) looks personal, or None."""
    for reason, pattern in VALUE_PATTERNS.items():
        if re.search(pattern, text):
            return reason
    return None
