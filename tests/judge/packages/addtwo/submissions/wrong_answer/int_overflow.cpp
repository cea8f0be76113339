#include <cstdio>
int main() {
    int a, b;
    scanf("%d %d", &a, &b);
    printf("%d\n", a + b);  // overflows on 2*10^9 + 2*10^9
}
