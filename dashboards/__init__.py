"""The Streamlit dashboard: supervisors' live view over ClickHouse."""
