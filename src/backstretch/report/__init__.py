"""Report writers: JSON, self-contained HTML, annotated video."""
