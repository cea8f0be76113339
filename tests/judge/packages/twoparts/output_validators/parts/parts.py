import sys


def reject(message):
    with open(sys.argv[3] + "judgemessage.txt", "w") as f:
        f.write(message + "\n")
    sys.exit(43)


def main():
    with open(sys.argv[1]) as f:
        n = int(f.read().split()[0])
    tokens = sys.stdin.read().split()
    if len(tokens) != 2:
        reject(f"expected two numbers, got {len(tokens)} tokens")
    try:
        a, b = int(tokens[0]), int(tokens[1])
    except ValueError:
        reject("not integers")
    if a <= 0 or b <= 0:
        reject("both parts must be positive")
    if a + b != n:
        reject(f"the parts add up to {a + b}, not to n")
    sys.exit(42)


main()
