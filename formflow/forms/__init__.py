"""The MUS forms: definitions loaded from `forms/*.toml` and their rendering to PDF and DOCX."""
