n = int(input())
for x in map(int, input().split()):
    print(2 * x + 1)
