# Starter file of the tests-only portal_echo assignment: set answer to 42 and upload this file.
answer = None
