a, b = map(int, input().split())
while abs(a) > 100:
    pass
print(a + b)
