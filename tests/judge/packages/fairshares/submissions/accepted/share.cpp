#include <cstdio>
int main() {
    double t, k;
    scanf("%lf %lf", &t, &k);
    printf("%.9f\n", t / k);
}
