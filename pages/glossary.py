"""Glossary: every word the figures use, with its one definition and its standard. Everyone
who reads a figure may read what it counts."""

import streamlit as st

from terrain import app, glossary

app.page_setup("glossary")
lang = app.lang()
st.title(app.tr("glossary.title"))
st.caption(app.tr("glossary.intro"))
for entry in glossary.entries(lang):
    with st.container(border=True):
        st.markdown(f"**{entry.term}**")
        st.markdown(entry.definition)
        st.caption(app.tr("glossary.standard", standard=entry.standard))
