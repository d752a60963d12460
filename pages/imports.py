"""Import: check a week's export (CSV or XLSX, or a DHIS2 dataValueSets export with its
mapping) in full, load it only if nothing is wrong; the templates to fill in; the history of
every attempt. Programme managers only.

The checks and the load are terrain/importing/loading.py, shared with `python -m terrain import`."""

import functools
import hashlib
import json

import streamlit as st

from terrain import i18n, ui
from terrain.importing import dhis2, loading, reading, tables, templates

ui.page_setup("imports")
lang, user = ui.lang(), ui.current_user()["name"]
st.title(ui.tr("imports.title"))
st.caption(ui.tr("imports.intro"))
load_tab, templates_tab, history_tab = st.tabs(
    [ui.tr("imports.tab_import"), ui.tr("imports.tab_templates"), ui.tr("imports.tab_history")])
table_name = lambda t: i18n.t(f"imports.table.{t}", lang)  # noqa: E731
SHOWN_PROBLEMS = 100      # on the page; the CSV download has them all
OWN_MAPPING = ""          # the mapping choice "your own file", beside the shipped ones


def run(attempt, *, dry_run):
    """The import's report and, for a DHIS2 export, its translation; a fault around the file
    (no space, the audit, a damaged database) stops the page with one line: nothing has changed."""
    bar = st.progress(0.0, text=ui.tr("imports.checking" if dry_run else "imports.loading"))
    try:
        result = attempt(dry_run=dry_run, user=user, via="page",
                         progress=lambda done, stage: bar.progress(done, ui.tr(f"imports.stage.{stage}")))
    except loading.FAULTS as fault:
        bar.empty()
        st.error(ui.tr("imports.cli.fault", reason=loading.fault_reason(fault)))
        st.stop()
    bar.empty()
    return result


def template_import(data, name, table, **options):
    """import_file, answering as import_dhis2 does: (report, no translation)."""
    return loading.import_file(data, name, table, **options), None


def chosen_mapping():
    """The DHIS2 mapping file chosen, one shipped in examples/dhis2/ or the user's own:
    (its bytes, the mapping), or None (none yet, or one Terrain cannot use: said in one line)."""
    shipped = {f"examples/dhis2/{path.name}": path for path in dhis2.shipped_mappings()}
    choice = st.selectbox(ui.tr("dhis2.page.mapping_label"), [*shipped, OWN_MAPPING], key="dhis2_mapping",
                          format_func=lambda name: name or i18n.t("dhis2.page.mapping_own", lang))
    if choice == OWN_MAPPING:
        uploaded = st.file_uploader(ui.tr("dhis2.page.mapping_file_label"), type=["toml"], key="dhis2_mapping_file")
        if uploaded is None:
            return None
        data, name = uploaded.getvalue(), uploaded.name
    else:
        data, name = shipped[choice].read_bytes(), choice
    try:
        mapping = dhis2.read_mapping(data, name)
    except dhis2.MappingError as error:
        st.error(ui.tr("dhis2.cli.mapping_error", error=error.text(lang)))
        return None
    elements = {entry.data_element for entry in mapping.entries.values()}
    st.caption(ui.tr("dhis2.page.mapping_summary", table=table_name(mapping.table),
                     org_units=i18n.format_number(len(mapping.org_units), lang),
                     elements=i18n.format_number(len(elements), lang)))
    if choice != OWN_MAPPING:   # a copy to start one's own from
        st.download_button(ui.tr("dhis2.page.mapping_download"), data, shipped[choice].name,
                           mime="application/toml", key="dhis2_mapping_download", on_click="ignore")
    return data, mapping


def show(report, key, file_name, translation=None):
    if translation is None:
        if report.detection:
            st.caption(report.detected(lang))
    elif translation.problems:
        st.caption(ui.tr("dhis2.page.read", format=translation.format.upper(),
                         values=i18n.format_number(translation.values, lang)))
    else:
        st.caption(ui.tr("dhis2.page.translated", format=translation.format.upper(),
                         values=i18n.format_number(translation.values, lang),
                         rows=i18n.format_number(translation.rows, lang), table=table_name(report.table)))
    if report.problems:
        st.error(ui.tr("imports.refused", count=i18n.format_number(report.problem_count, lang)))
        st.header(ui.tr("imports.problems_title"))
        if translation is not None and not translation.problems:
            st.caption(ui.tr("dhis2.page.rows_translated"))
    elif report.warnings:
        st.warning(ui.tr("imports.warnings_title", count=i18n.format_number(report.warning_count, lang)))
    lines = loading.problems_frame(report, lang, limit=SHOWN_PROBLEMS)
    if not lines.empty:
        # A table that wraps its text: each message is read whole, however long.
        st.table(lines, hide_index=True)
        count = report.problem_count or report.warning_count
        if count > len(lines):
            st.caption(ui.tr("imports.problems_shown", shown=i18n.format_number(len(lines), lang),
                             count=i18n.format_number(count, lang)))
        st.download_button(ui.tr("imports.download_problems"), lambda: loading.problems_csv(report, lang),
                           f"{file_name}.problems.csv", mime="text/csv", key=f"{key}_problems_csv", on_click="ignore")


def uploader_texts(size: int, limit: str = "imports.uploader.limit") -> None:
    """Streamlit 1.67 writes the uploader's own texts in English ("Drag and drop a file here",
    "Upload", "50MB per file", "Remove …", "Add files") and lets no argument change them:
    they are hidden and ours, in the user's language, drawn in their place; the labels only a
    screen reader says are rewritten whenever Streamlit draws them again (the button whose text
    is hidden is named by its label: a text drawn by CSS is no name to every screen reader). Checked in a real
    browser (tests/test_browser.py)."""
    texts = {name: ui.tr(limit if name == "limit" else f"imports.uploader.{name}", size=size, name="{name}")
             for name in ("drop", "browse", "limit", "remove", "add", "input")}
    css = {name: json.dumps(text, ensure_ascii=False) for name, text in texts.items()}   # a quoted CSS/JS string
    zone = '[data-testid="stFileUploaderDropzone"]'
    st.html(f"""<style>
    {zone} [data-testid="stFileUploaderDropzoneInstructions"] > div > span,
    {zone} button [data-testid="stMarkdownContainer"] p,
    {zone} > div:not([data-testid]):not(:has([data-testid])) > span,
    {zone} [data-testid="stFileChipName"] + div {{ display: none; }}
    {zone} [data-testid="stFileUploaderDropzoneInstructions"] > div::after {{ content: {css['limit']}; }}
    {zone} button [data-testid="stMarkdownContainer"]::after {{ content: {css['browse']}; }}
    {zone} > div:not([data-testid]):not(:has([data-testid]))::after {{ content: {css['drop']}; }}
    </style>
    <script>
    (() => {{
      const labels = () => document.querySelectorAll('{zone}').forEach(z => {{
        z.querySelectorAll('[data-testid="stFileUploaderDropzoneInput"]').forEach(e => {{
          if (e.getAttribute("aria-label") !== {css['input']}) e.setAttribute("aria-label", {css['input']}); }});
        z.querySelectorAll('[data-testid="stFileChipDeleteBtn"] button').forEach(e => {{
          const name = e.closest('[data-testid="stFileChip"]').querySelector('[data-testid="stFileChipName"]').title;
          const wanted = {css['remove']}.replace("{{name}}", name);
          if (e.getAttribute("aria-label") !== wanted) e.setAttribute("aria-label", wanted); }});
        z.querySelectorAll('button:has([data-testid="stMarkdownContainer"])').forEach(e => {{
          if (e.getAttribute("aria-label") !== {css['browse']}) e.setAttribute("aria-label", {css['browse']}); }});
        z.querySelectorAll('button[data-testid="stBaseButton-borderlessIcon"]').forEach(e => {{
          if (e.getAttribute("aria-label") !== {css['add']}) e.setAttribute("aria-label", {css['add']}); }});
        z.querySelectorAll('[data-testid="stFileChip"]').forEach(e => {{
          const name = e.querySelector('[data-testid="stFileChipName"]').title;
          if (e.getAttribute("aria-label") !== name) e.setAttribute("aria-label", name); }});
      }});
      window.terrainUploaderTexts = labels;   // the latest run's, in the language chosen
      labels();
      if (!window.terrainUploaderLabels) {{
        window.terrainUploaderLabels = new MutationObserver(() => window.terrainUploaderTexts());
        window.terrainUploaderLabels.observe(document.body, {{subtree: true, childList: true, attributes: true,
                                                              attributeFilter: ["aria-label"]}});
      }}
    }})();
    </script>""", unsafe_allow_javascript=True)


with load_tab:
    synthetic = loading.database_is_synthetic()
    if "import_done" in st.session_state:   # the last load, reported once after the reset below
        done, to_trial = st.session_state.pop("import_done")
        st.success(done)
        if not to_trial:
            st.caption(ui.tr("imports.rollback_hint"))
    source = st.radio(ui.tr("dhis2.page.source_label"), ("terrain", "dhis2"), horizontal=True, key="import_source",
                      format_func=lambda s: i18n.t(f"dhis2.page.source.{s}", lang))
    mapping = None
    if source == "dhis2":
        st.caption(ui.tr("dhis2.page.intro"))
        mapping = chosen_mapping()
        table = mapping[1].table if mapping else None
    else:
        table = st.selectbox(ui.tr("imports.table_label"), tables.IMPORTABLE, format_func=table_name,
                             key="import_table", index=None, placeholder=ui.tr("imports.table_placeholder"))
    options = {}
    if synthetic:
        options["start_real"] = st.toggle(ui.tr("imports.start_real_label"), help=ui.tr("imports.start_real_help"),
                                          key="import_start_real")
        options["trial"] = not options["start_real"]
    trial = options.get("trial", False)
    if trial:
        st.info(ui.tr("imports.trial.notice", path=loading.trial_path().name))
    else:   # in the trial copy a row already there is always replaced
        options["replace"] = st.toggle(ui.tr("imports.replace_label"), help=ui.tr("imports.replace_help"),
                                       key="import_replace")
    size = st.get_option("server.maxUploadSize")
    round_ = st.session_state.setdefault("import_round", 0)
    # A new key empties the uploader once its file is loaded.
    if source == "dhis2":
        uploader_texts(size, "dhis2.page.uploader_limit")
        uploaded = st.file_uploader(ui.tr("dhis2.page.file_label"), type=["csv", "json"], key=f"dhis2_file_{round_}")
        st.caption(ui.tr("dhis2.page.upload_limit", size=size))
    else:
        uploader_texts(size)
        uploaded = st.file_uploader(ui.tr("imports.file_label"), type=["csv", "txt", "xlsx"],
                                    key=f"import_file_{round_}")
        st.caption(ui.tr("imports.upload_limit", size=size))
    if uploaded is not None and table is None:
        st.info(ui.tr("dhis2.page.choose_mapping" if source == "dhis2" else "imports.choose_table"))
    elif uploaded is not None:
        data = uploaded.getvalue()
        if mapping:
            attempt = functools.partial(loading.import_dhis2, data, uploaded.name, mapping[1], **options)
            recipe = hashlib.sha256(mapping[0]).hexdigest()
        else:
            sheets = reading.sheet_names(data) if data.startswith(reading.XLSX_MAGIC) else []
            if sheets:
                options["sheet"] = st.selectbox(ui.tr("imports.sheet_label"), sheets, key="import_sheet")
            attempt = functools.partial(template_import, data, uploaded.name, table, **options)
            recipe = table
        # Check once per file and choice (and database version): reruns must not re-check or re-audit.
        key = (hashlib.sha256(data).hexdigest(), source, recipe, tuple(sorted(options.items())), ui.data_version(),
               loading.trial_version())
        if st.session_state.get("import_checked_key") != key:
            st.session_state["import_checked"] = run(attempt, dry_run=True)
            st.session_state["import_checked_key"] = key
        report, translation = st.session_state["import_checked"]
        show(report, "checked", uploaded.name, translation)
        if report.ok:
            rows, where = i18n.format_number(report.rows, lang), "imports.trial" if trial else "imports"
            st.success(ui.tr(f"{where}.clean", rows=rows, table=table_name(table)))
            if report.replaced:
                st.info(ui.tr(f"{where}.will_replace", count=i18n.format_number(report.replaced, lang)))
            if st.button(ui.tr(f"{where}.load_button", rows=rows, table=table_name(table)), type="primary",
                         key="import_load"):
                loaded, translation = run(attempt, dry_run=False)
                if loaded.outcome != "loaded":   # the database changed since the check
                    show(loaded, "loaded", uploaded.name, translation)
                else:
                    st.session_state["import_done"] = (ui.tr(
                        f"{where}.loaded", rows=rows, table=table_name(table),
                        date=i18n.format_date(loaded.data_as_of, lang)), trial)
                    st.session_state["import_round"] += 1
                    st.rerun()
    if synthetic and loading.trial_path().exists():
        st.header(ui.tr("imports.trial.header"))
        st.caption(ui.tr("imports.trial.caption", path=loading.trial_path().name))
        st.dataframe(loading.trial_contents_frame(lang), hide_index=True, width="stretch", key="trial_rows")
        if st.button(ui.tr("imports.trial.discard"), key="trial_discard"):
            loading.discard_trial()
            st.session_state["import_done"] = (ui.tr("imports.trial.discarded"), True)
            st.session_state["import_round"] += 1
            st.rerun()

with templates_tab:
    st.caption(ui.tr("imports.templates_intro"))
    chosen = st.selectbox(ui.tr("imports.table_label"), tables.IMPORTABLE, format_func=table_name, key="template_table")
    names = templates.file_names(chosen)
    xlsx, csv, description = st.columns(3)
    xlsx.download_button(ui.tr("imports.download_template_xlsx"), templates.template_xlsx(chosen), names["xlsx"],
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="template_xlsx",
                         on_click="ignore")
    csv.download_button(ui.tr("imports.download_template_csv"), templates.template_csv(chosen), names["csv"],
                        mime="text/csv", key="template_csv", on_click="ignore")
    description.download_button(ui.tr("imports.download_description_csv"), templates.description_csv(chosen),
                                names["description"], mime="text/csv", key="template_description", on_click="ignore")
    rows = templates.description_rows(chosen, (lang,))
    st.dataframe([dict(zip(rows[0], row)) for row in rows[1:]], hide_index=True, width="stretch", key="template_columns")

with history_tab:
    st.header(ui.tr("imports.table_rows_title"))
    st.dataframe(loading.contents_frame(lang), hide_index=True, width="stretch", key="import_table_rows")
    st.header(ui.tr("imports.history_title"))
    history = loading.history_frame(lang)
    if history.empty:
        st.info(ui.tr("imports.history_empty"))
    else:
        st.dataframe(history, hide_index=True, width="stretch", key="import_history")
