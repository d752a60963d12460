"""Import: check a week's export (CSV or XLSX) in full, load it only if nothing is wrong;
the templates to fill in; the history of every attempt. Programme managers only.

The checks and the load are terrain/imports.py, shared with `python -m terrain import`."""

import hashlib

import streamlit as st

from terrain import app, i18n, imports
from terrain.importing import reading, tables, templates

role = app.page_setup("imports")
lang, user = app.lang(), app.current_user()["name"]
st.title(app.tr("imports.title"))
st.caption(app.tr("imports.intro"))
load_tab, templates_tab, history_tab = st.tabs(
    [app.tr("imports.tab_import"), app.tr("imports.tab_templates"), app.tr("imports.tab_history")])
table_name = lambda t: i18n.t(f"imports.table.{t}", lang)  # noqa: E731


def run(data, name, table, options, *, dry_run):
    """The import's report; a fault around the file (no space, the audit, a damaged
    database) stops the page with one line: nothing has changed."""
    bar = st.progress(0.0, text=app.tr("imports.checking" if dry_run else "imports.loading"))
    try:
        report = imports.import_file(data, name, table, dry_run=dry_run, user=user, via="page",
                                     progress=lambda done, stage: bar.progress(done, app.tr(f"imports.stage.{stage}")),
                                     **options)
    except imports.FAULTS as fault:
        bar.empty()
        st.error(app.tr("imports.cli.fault", reason=imports.fault_reason(fault)))
        st.stop()
    bar.empty()
    return report


def show(report, key):
    st.caption(report.detected(lang))
    if report.problems:
        st.error(app.tr("imports.refused", count=i18n.format_number(report.problem_count, lang)))
        st.subheader(app.tr("imports.problems_title"))
    elif report.warnings:
        st.warning(app.tr("imports.warnings_title", count=i18n.format_number(report.warning_count, lang)))
    lines = imports.problems_frame(report, lang)
    if not lines.empty:
        st.dataframe(lines, hide_index=True, width="stretch", key=f"{key}_problems")
        count = report.problem_count or report.warning_count
        if count > len(lines):
            st.caption(app.tr("imports.problems_shown", shown=i18n.format_number(len(lines), lang),
                              count=i18n.format_number(count, lang)))
        st.download_button(app.tr("imports.download_problems"), lambda: imports.problems_csv(report, lang),
                           f"{report.file_name}.problems.csv", mime="text/csv", key=f"{key}_problems_csv")


with load_tab:
    if "import_done" in st.session_state:   # the last load, reported once after the reset below
        st.success(st.session_state.pop("import_done"))
        st.caption(app.tr("imports.rollback_hint"))
    table = st.selectbox(app.tr("imports.table_label"), tables.IMPORTABLE, format_func=table_name, key="import_table",
                         index=None, placeholder=app.tr("imports.table_placeholder"))
    options = {"replace": st.toggle(app.tr("imports.replace_label"), help=app.tr("imports.replace_help"),
                                    key="import_replace")}
    if imports.database_is_synthetic():
        options["start_real"] = st.toggle(app.tr("imports.start_real_label"), help=app.tr("imports.start_real_help"),
                                          key="import_start_real")
    limit = app.tr("imports.upload_limit", size=st.get_option("server.maxUploadSize"))
    # A new key empties the uploader once its file is loaded.
    uploaded = st.file_uploader(app.tr("imports.file_label"), type=["csv", "txt", "xlsx"], help=limit,
                                key=f"import_file_{st.session_state.setdefault('import_round', 0)}")
    st.caption(limit)
    if uploaded is not None and table is None:
        st.info(app.tr("imports.choose_table"))
    elif uploaded is not None:
        data = uploaded.getvalue()
        sheets = reading.sheet_names(data) if data.startswith(reading.XLSX_MAGIC) else []
        if sheets:
            options["sheet"] = st.selectbox(app.tr("imports.sheet_label"), sheets, key="import_sheet")
        # Check once per file and choice (and database version): reruns must not re-check or re-audit.
        key = (hashlib.sha256(data).hexdigest(), table, tuple(sorted(options.items())), app.data_version())
        if st.session_state.get("import_checked_key") != key:
            st.session_state["import_checked"] = run(data, uploaded.name, table, options, dry_run=True)
            st.session_state["import_checked_key"] = key
        report = st.session_state["import_checked"]
        show(report, "checked")
        if report.ok:
            rows = i18n.format_number(report.rows, lang)
            st.success(app.tr("imports.clean", rows=rows, table=table_name(table)))
            if report.replaced:
                st.info(app.tr("imports.will_replace", count=i18n.format_number(report.replaced, lang)))
            if st.button(app.tr("imports.load_button", rows=rows, table=table_name(table)), type="primary",
                         key="import_load"):
                loaded = run(data, uploaded.name, table, options, dry_run=False)
                if loaded.outcome != "loaded":   # the database changed since the check
                    show(loaded, "loaded")
                else:
                    st.session_state["import_done"] = app.tr(
                        "imports.loaded", rows=rows, table=table_name(table),
                        date=i18n.format_date(loaded.data_as_of, lang))
                    st.session_state["import_round"] += 1
                    st.rerun()

with templates_tab:
    st.caption(app.tr("imports.templates_intro"))
    chosen = st.selectbox(app.tr("imports.table_label"), tables.IMPORTABLE, format_func=table_name, key="template_table")
    names = templates.file_names(chosen)
    xlsx, csv, description = st.columns(3)
    xlsx.download_button(app.tr("imports.download_template_xlsx"), templates.template_xlsx(chosen), names["xlsx"],
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template_xlsx")
    csv.download_button(app.tr("imports.download_template_csv"), templates.template_csv(chosen), names["csv"],
                        mime="text/csv", key="template_csv")
    description.download_button(app.tr("imports.download_description_csv"), templates.description_csv(chosen),
                                names["description"], mime="text/csv", key="template_description")
    rows = templates.description_rows(chosen, (lang,))
    st.dataframe([dict(zip(rows[0], row)) for row in rows[1:]], hide_index=True, width="stretch", key="template_columns")

with history_tab:
    st.subheader(app.tr("imports.table_rows_title"))
    st.dataframe(imports.contents_frame(lang), hide_index=True, width="stretch", key="import_table_rows")
    st.subheader(app.tr("imports.history_title"))
    history = imports.history_frame(lang)
    if history.empty:
        st.info(app.tr("imports.history_empty"))
    else:
        st.dataframe(history, hide_index=True, width="stretch", key="import_history")
