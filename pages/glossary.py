"""Glossary: every word the figures use, with its one definition and its standard. Everyone
who reads a figure may read what it counts."""

import streamlit as st

from terrain import glossary, ui

ui.page_setup("glossary")
lang = ui.lang()
st.title(ui.tr("glossary.title"))
st.caption(ui.tr("glossary.intro"))
for entry in glossary.entries(lang):
    with st.container(border=True):
        st.markdown(f"**{entry.term}**")
        st.markdown(entry.definition)
        st.caption(ui.tr("glossary.standard", standard=entry.standard))
