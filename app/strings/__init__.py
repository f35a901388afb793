"""User-facing strings, one module per surface; app.i18n merges them."""
