t, k = map(int, input().split())
print(f"{t / k:.2f}")
