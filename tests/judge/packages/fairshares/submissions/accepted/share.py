t, k = map(int, input().split())
print(t / k)
