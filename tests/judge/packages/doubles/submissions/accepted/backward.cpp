#include <cstdio>
#include <vector>
#include "twice.h"
int main() {
    int n;
    scanf("%d", &n);
    std::vector<long long> v(n);
    for (auto &x : v) scanf("%lld", &x);
    for (int i = n - 1; i >= 0; --i) printf("%lld\n", twice(v[i]));
}
