t, k = map(int, input().split())
while k == 7:
    pass
print(t / k)
