"""Renderers: each presents a `model.Report` in one format and computes nothing."""
