"""Predictive models: plain functions over pandas frames, no dbt inside."""
