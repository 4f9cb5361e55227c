"""Second Look coverage core: plan and law data, the rules engine and the deadline calculator.

This package never imports streamlit: the app, the CLI and the batch runner all call it.
"""
