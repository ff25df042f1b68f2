"""Reading a student's written answers: sizes, counts, and where they are written."""
