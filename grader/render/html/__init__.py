"""The self-contained HTML report of one submission and the class page."""
