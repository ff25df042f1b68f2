"""Lecture 2-2 homework 2: a PDF report that TAs grade by hand."""
