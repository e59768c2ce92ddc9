"""Dashboard pages: render only; all SQL lives in dashboards/queries.py."""
