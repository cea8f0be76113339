from twice import twice

n = int(input())
for x in map(int, input().split()):
    print(twice(x))
