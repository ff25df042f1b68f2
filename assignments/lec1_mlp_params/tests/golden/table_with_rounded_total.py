"""
| Layer | Parameters |
|-------|-----------:|
| fc1   | 200960     |
| fc2   | 32,896     |
| fc3   | 1290       |

Total params: 0.24M
"""
