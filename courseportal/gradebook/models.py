# The gradebook is a read model over submissions and results: it has no tables of its own.
