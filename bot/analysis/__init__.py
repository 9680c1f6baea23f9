"""Figures counted over the whole index: perception gaps, statistics, index overview."""
