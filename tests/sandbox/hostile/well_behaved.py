# A harmless submission: the control case, which must get full marks.
# answer: 42
print("hello from a well-behaved submission")
