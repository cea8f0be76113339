#include <cstdio>
#include <vector>
int main() {
    long long a, b;
    scanf("%lld %lld", &a, &b);
    std::vector<int> v(1);
    if (a > 100) return v.at(5);  // throws std::out_of_range: abort
    printf("%lld\n", a + b);
}
