"""Lecture 2-2 homework 1: layer sizes and the parameter count of the CNN ``NetHW``."""
