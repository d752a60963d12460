"""The parts of an import (terrain/importing/loading.py runs them, for the page and the commands alike):

- tables.py: what can be imported, read from the schema (columns, types, categories, keys);
- reading.py: bytes to a table of text cells (CSV in any usual encoding and separator, XLSX);
- anonymity.py: the personal-data guard (column names and cell values);
- parsing.py: cells to typed values, once per distinct cell;
- validation.py: every check, every problem with its row and column, and the warnings;
- findings.py: problems and warnings, and their text in French and English;
- statements.py and sql/: the fixed SQL that writes an import into the new database file;
- audit.py: every attempt, in the audit directory;
- templates.py: the CSV and XLSX templates, with their column descriptions.
"""
