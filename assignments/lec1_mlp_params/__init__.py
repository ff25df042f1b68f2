"""Lecture 2-1 HW: parameters of an MLP."""
